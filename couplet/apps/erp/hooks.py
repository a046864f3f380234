"""Per-entity business rules, declared by the domain modules and run by `ErpRules`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._common.records import Tx

Row = dict[str, Any]


@dataclass(frozen=True)
class Hooks:
    before_insert: Callable[[Tx, Row], None] | None = None
    before_update: Callable[[Tx, Row, Row], None] | None = None  # (old, changes)
    before_delete: Callable[[Tx, Row], None] | None = None
    after_write: Callable[[Tx, Row | None, Row | None], None] | None = None  # (row, old)


def mark(tx: Tx, kind: str, *keys: Any) -> None:
    """Remembers records whose derived data must be refreshed before commit."""
    bucket: set[Any] = tx.scratch.setdefault(kind, set())
    bucket.update(k for k in keys if k)
