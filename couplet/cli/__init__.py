"""The `couplet` command line (Typer)."""
