"""The default mapping catalogue, as data (TOML), read by `couplet.engine.catalogue`."""
