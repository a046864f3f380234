"""Connectors: the engine's record port implemented for each system's web API."""
