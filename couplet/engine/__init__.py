"""The integration engine's pure domain: mappings, couplings, synchronization plans.

Nothing here imports a framework (no SQLAlchemy, httpx or FastAPI): the engine talks to the
two systems through `ports.RecordPort` and keeps its state through `ports.StatePort`.
"""
