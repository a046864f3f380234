"""All tables of the reference ERP, by entity name and by API group."""

from __future__ import annotations

from ..schema import Table
from . import ledger, marketing, master, sales

TABLES: list[Table] = [*master.TABLES, *marketing.TABLES, *sales.TABLES, *ledger.TABLES]
BY_NAME: dict[str, Table] = {t.entity.name: t for t in TABLES}


def sets_of(group: str) -> dict[str, Table]:
    """The entity sets an API group serves, by set name."""
    return {t.entity.entity_set: t for t in TABLES if group in t.groups}
