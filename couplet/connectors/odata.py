"""OData client pieces shared by both connectors: filters, literals, paging."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx

from ..engine.errors import SyncError
from ..engine.model import Condition, Filter, Op, Ref
from .http import HttpSession, error_message

# Long `in` lists become chunks of OR'ed equalities: both APIs accept those, and they keep
# URLs well below server limits.
MAX_IDS_PER_QUERY = 100


def literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Ref):
        return literal(value.id)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _is_guid(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _is_guid(text: str) -> bool:
    if len(text) != 36:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def condition(c: Condition, name: str | None = None) -> str:
    field = name or c.field
    if c.op is Op.IN:
        values = list(c.value) if isinstance(c.value, tuple | list | set | frozenset) else [c.value]
        if not values:
            return "false"
        return "(" + " or ".join(f"{field} eq {literal(v)}" for v in values) + ")"
    if c.op is Op.IEQ:
        # Case-insensitive text equality (match-based coupling without case sensitivity).
        return f"tolower({field}) eq {literal(str(c.value).lower())}"
    return f"{field} {c.op.value} {literal(c.value)}"


def render(filters: Filter, rename: dict[str, str] | None = None) -> str:
    names = rename or {}
    return " and ".join(condition(c, names.get(c.field)) for c in filters)


def pages(
    session: HttpSession, url: str, params: dict[str, str], headers: dict[str, str]
) -> Iterator[list[dict[str, Any]]]:
    """Follows `@odata.nextLink` until the last page."""
    next_url: str | None = url
    query: dict[str, str] | None = params
    while next_url:
        response = session.request("GET", next_url, params=query, headers=headers)
        if response.status_code != 200:
            raise SyncError(f"Reading {url} failed: {error_message(response)}")
        body = response.json()
        yield list(body.get("value", []))
        next_url, query = body.get("@odata.nextLink"), None


def json_value(value: object) -> object:
    """A value as both APIs take it in a JSON body (money exact to the cent, ISO times)."""
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_timestamp(raw: object, what: str) -> dt.datetime:
    """A row's modified-on value (both APIs send ISO 8601, in UTC)."""
    if not isinstance(raw, str):
        raise SyncError(f"A row came without its {what} value; include it in the query.")
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_ENTITY_ID = re.compile(r"\(([0-9a-fA-F-]{36})\)\s*$")


def action_data(response: httpx.Response) -> dict[str, object]:
    """What an OData action answered: its JSON body, else the id of the row its `Location`
    (or `OData-EntityId`) header points to, else nothing."""
    if response.content and "json" in response.headers.get("content-type", ""):
        data = response.json()
        return data if isinstance(data, dict) else {"value": data}
    location = response.headers.get("Location") or response.headers.get("OData-EntityId") or ""
    found = _ENTITY_ID.search(location)
    return {"id": found.group(1)} if found else {}
