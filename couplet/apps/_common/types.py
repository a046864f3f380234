"""Column types and value conversion between JSON and SQL for OData properties."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from .errors import validation


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Stores aware datetimes as naive UTC so SQLite and PostgreSQL compare them alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(raw: object, name: str) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if len(text) == 10:
            text += "T00:00:00Z"
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise validation(
                f"Cannot convert the literal '{raw}' to the expected type 'Edm.DateTimeOffset' "
                f"for the property '{name}'.",
                name,
            ) from None
    else:
        raise validation(f"A DateTimeOffset value was expected for the property '{name}'.", name)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def parse_date(raw: object, name: str) -> dt.date:
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    raise validation(
        f"Cannot convert the literal '{raw}' to the expected type 'Edm.Date' for the property "
        f"'{name}'.",
        name,
    )


def parse_guid(raw: object, name: str) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        raise validation(f"'{raw}' is not a valid GUID for the property '{name}'.", name) from None


def parse_decimal(raw: object, name: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise validation(f"A numeric value was expected for the property '{name}'.", name)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise validation(f"'{raw}' is not a number for the property '{name}'.", name) from None
    if not value.is_finite():
        raise validation(f"'{raw}' is not a number for the property '{name}'.", name)
    return value


def parse_int(raw: object, name: str) -> int:
    if isinstance(raw, bool):
        raise validation(f"An integer value was expected for the property '{name}'.", name)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw)
    raise validation(f"An integer value was expected for the property '{name}'.", name)


def json_value(value: object) -> object:
    """Converts a stored value into its JSON form."""
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and abs(value) < 2**53
            else float(value)
        )
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
