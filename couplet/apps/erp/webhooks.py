"""Webhook change capture (placeholder)."""

from __future__ import annotations

from typing import Any

from .._common.model import EntityDef
from .._common.records import Tx


def record_change(
    tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
) -> None:
    return None


def flush(tx: Tx) -> None:
    return None
