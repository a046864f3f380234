"""Business Central has no nulls: blank text is "", blank numbers 0, flags false;
references and dates stay empty (and are shown as the empty GUID and 0001-01-01)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._common.model import EntityDef, Field, FieldType
from .._common.records import Tx


def blank(f: Field) -> Any:
    if f.type in (FieldType.STRING, FieldType.MEMO):
        return ""
    if f.type in (FieldType.MONEY, FieldType.DECIMAL):
        return Decimal(0)
    if f.type in (FieldType.INT, FieldType.BIGINT):
        return 0
    if f.type is FieldType.BOOL:
        return False
    return None


def fill_blanks(entity: EntityDef, values: dict[str, Any]) -> None:
    for f in entity.fields:
        if values.get(f.name) is None and f.name != entity.key and not f.hidden:
            values[f.name] = blank(f)


def insert_system(tx: Tx, entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """Inserts a row the server derives (contacts of customers, ledger entries, posted
    documents): no client rules, but the same blank values a client-made row gets."""
    return tx.insert(entity, complete(tx.model.entity(entity), values), internal=True)


def complete(definition: EntityDef, values: dict[str, Any]) -> dict[str, Any]:
    """Gives a server-made row its defaults and blank values; returns `values`."""
    for f in definition.fields:
        if f.name not in values and f.default is not None:
            values[f.name] = f.default() if callable(f.default) else f.default
    fill_blanks(definition, values)
    return values
