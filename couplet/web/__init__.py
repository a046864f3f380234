"""The engine's REST API (`/api/v1/`) and admin web UI."""
