"""Alembic migrations of the engine's database, run by `store.db.migrate`."""
