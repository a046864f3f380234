"""Values Business Central computes from ledgers (FlowFields): an item's inventory, a
customer's balance. Storing them keeps them filterable; writing them without a new row
version keeps the record's ETag and lastModifiedDateTime as BC has them - a FlowField
changing does not modify the record."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.records import Tx


def set_flowfields(tx: Tx, entity: str, key: str, values: dict[str, Any]) -> None:
    table = tx.model.table(entity)
    tx.conn.execute(sa.update(table).where(table.c.id == key).values(**values))


def total(tx: Tx, entity: str, column: str, **equals: Any) -> Any:
    table = tx.model.table(entity)
    query = sa.select(sa.func.coalesce(sa.func.sum(table.c[column]), 0)).where(
        *(table.c[k] == v for k, v in equals.items())
    )
    return tx.conn.execute(query).scalar()
