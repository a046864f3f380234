"""Server-driven paging with an opaque keyset cursor.

A page is read in a total order (the requested `$orderby` columns, then the key). The cursor
records the sort values of the last row sent; the next page starts strictly after it, so
rows inserted or deleted meanwhile never make the client skip or repeat a row. NULL sorts
lowest in both directions on every database (NULLS FIRST ascending, NULLS LAST descending).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from .errors import bad_request
from .model import EntityDef, Field, FieldType
from .types import json_value, parse_date, parse_datetime, parse_decimal


def order_columns(
    table: sa.Table, entity: EntityDef, orderby: Sequence[tuple[str, bool]]
) -> list[tuple[sa.Column[Any], bool]]:
    cols = [(table.c[name], desc) for name, desc in orderby if name != entity.key]
    cols.append((table.c[entity.key], False))
    return cols


def order_clauses(cols: list[tuple[sa.Column[Any], bool]]) -> list[sa.ColumnElement[Any]]:
    return [c.desc().nulls_last() if desc else c.asc().nulls_first() for c, desc in cols]


def encode_cursor(row: dict[str, Any], cols: list[tuple[sa.Column[Any], bool]]) -> str:
    payload = json.dumps([json_value(row[c.name]) for c, _ in cols], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_value(raw: Any, f: Field | None) -> Any:
    if raw is None or f is None:
        return raw
    if f.type is FieldType.DATETIME:
        return parse_datetime(raw, f.name)
    if f.type is FieldType.DATE:
        return parse_date(raw, f.name)
    if f.type in (FieldType.DECIMAL, FieldType.MONEY):
        return parse_decimal(raw, f.name)
    return raw


def after_cursor(
    token: str, cols: list[tuple[sa.Column[Any], bool]], entity: EntityDef
) -> sa.ColumnElement[bool]:
    """The condition selecting rows strictly after the cursor in the page order."""
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(cols):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The $skiptoken value is not valid for this query.") from None
    values = [
        _decode_value(v, entity.field(c.name)) for v, (c, _) in zip(values, cols, strict=True)
    ]
    condition: sa.ColumnElement[bool] = sa.false()
    # Build from the last (the key, never NULL) to the first column: "after" on column i is
    # "strictly after on i" or "equal on i and after on the rest".
    for (col, desc), value in reversed(list(zip(cols, values, strict=True))):
        if value is None:
            equal: sa.ColumnElement[bool] = col.is_(None)
            strictly = sa.false() if desc else col.is_not(None)
        else:
            equal = col == value
            strictly = sa.or_(col < value, col.is_(None)) if desc else col > value
        condition = sa.or_(strictly, sa.and_(equal, condition))
    return condition
