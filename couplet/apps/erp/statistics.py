"""Customer statistics and item availability (placeholder until posting lands)."""

from __future__ import annotations

from .._common.records import Tx


def flush(tx: Tx) -> None:
    tx.scratch.pop("customers", None)
    tx.scratch.pop("items", None)


def before_read(tx: Tx, entity: str, company_id: str) -> None:
    """Brings computed views up to date before they are read."""
    flush(tx)
