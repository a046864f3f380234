"""What differs between the two APIs on the wire, behind one interface.

The generic operations in `operations.py` ask the dialect how to render a row (ETag, lookup
annotations), how to read a request body into column values, how to name the context URL and
how an error body looks.
"""

from __future__ import annotations

from typing import Any

from .errors import ODataError, bad_request
from .model import EntityDef, FieldType, Model
from .records import Tx
from .types import json_value, parse_date, parse_datetime, parse_decimal, parse_guid, parse_int


class Dialect:
    max_page_size = 5000
    # Dataverse caps `@odata.count` at 5000; APIs without that cap set None.
    max_count: int | None = 5000
    namespace = "Microsoft.Dynamics.CRM"

    def __init__(self, model: Model) -> None:
        self.model = model

    # -- rows out ------------------------------------------------------------------

    def etag(self, row: dict[str, Any]) -> str:
        return f'W/"{row[self.model.conventions.version]}"'

    def represent(
        self,
        entity: EntityDef,
        row: dict[str, Any],
        select: list[str] | None,
        annotations: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.etag": self.etag(row)}
        names = select if select else [f.name for f in entity.visible_fields]
        for name in names:
            out[name] = json_value(row.get(name))
        if entity.key not in out:
            out[entity.key] = row[entity.key]
        return out

    def context(
        self, base_url: str, entity: EntityDef, select: list[str] | None, single: bool = False
    ) -> str:
        sel = f"({','.join(select)})" if select else ""
        return f"{base_url}$metadata#{entity.entity_set}{sel}" + ("/$entity" if single else "")

    # -- rows in -------------------------------------------------------------------

    def decode(self, tx: Tx, entity: EntityDef, body: dict[str, Any]) -> dict[str, Any]:
        """Turns a JSON body into column values, rejecting unknown properties."""
        values: dict[str, Any] = {}
        for name, raw in body.items():
            if name.startswith("@odata.") or "@" in name:
                continue
            values[name] = self.decode_value(entity, name, raw)
        return values

    def decode_value(self, entity: EntityDef, name: str, raw: Any) -> Any:
        f = entity.field(name)
        if f is None or f.hidden:
            raise bad_request(
                f"The property '{name}' does not exist on type '{self.namespace}.{entity.name}'. "
                "Make sure to only use property names that are defined by the type.",
                target=name,
            )
        if raw is None:
            return None
        match f.type:
            case FieldType.GUID:
                return parse_guid(raw, name)
            case FieldType.STRING | FieldType.MEMO:
                if not isinstance(raw, str):
                    raise bad_request(
                        f"A string value was expected for the property '{name}'.", target=name
                    )
                return raw
            case FieldType.INT | FieldType.BIGINT | FieldType.CHOICE:
                return parse_int(raw, name)
            case FieldType.DECIMAL | FieldType.MONEY:
                return parse_decimal(raw, name)
            case FieldType.BOOL:
                if not isinstance(raw, bool):
                    raise bad_request(
                        f"A boolean value was expected for the property '{name}'.", target=name
                    )
                return raw
            case FieldType.DATETIME:
                return parse_datetime(raw, name)
            case FieldType.DATE:
                return parse_date(raw, name)
        raise AssertionError(f.type)

    # -- errors --------------------------------------------------------------------

    def error_body(self, error: ODataError) -> dict[str, Any]:
        return {"error": {"code": error.code, "message": error.message}}
