"""Reference services that speak the real products' web APIs (the embedded default and test bed)."""
