"""The Business Central API connector (v2.0 plus couplet's custom API group)."""
