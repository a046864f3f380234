"""Connectors: the record ports of the two systems (HTTP APIs, or memory for tests)."""
