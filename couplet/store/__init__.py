"""The engine's persistent state in SQL (SQLite by default, PostgreSQL for production)."""
