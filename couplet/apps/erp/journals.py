"""Customer payment journal lines (placeholder)."""

from __future__ import annotations

from .hooks import Hooks

HOOKS: dict[str, Hooks] = {}
