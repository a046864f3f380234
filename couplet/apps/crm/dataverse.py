"""The Dataverse Web API dialect: lookups through `@odata.bind`, annotations, keys in URLs."""

from __future__ import annotations

import re
from typing import Any

from .._common.dialect import Dialect
from .._common.errors import bad_request, not_found
from .._common.model import EntityDef, FieldType, Model
from .._common.records import Tx
from .._common.types import json_value, parse_guid
from .options import OptionSets
from .schema import Lookup, Table

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(([^()]*)\)$")
_FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"
SYSTEM_LOOKUPS = ("createdby", "modifiedby")
# Columns only the platform writes (IsValidForCreate and IsValidForUpdate false). Other
# server-computed columns (line amounts, totals) are writable in Dataverse's metadata and
# recomputed by its pricing, so the reference CRM takes and overwrites them too.
SYSTEM_COLUMNS = frozenset({"createdon", "modifiedon", "versionnumber"})
# Dataverse's code for a payload it cannot apply (a lookup written as its value property).
READ_ONLY_CODE = "0x80048d19"


class DataverseDialect(Dialect):
    max_page_size = 5000
    namespace = "Microsoft.Dynamics.CRM"

    def __init__(self, model: Model, tables: dict[str, Table], options: OptionSets) -> None:
        super().__init__(model)
        self.tables = tables
        self.options = options

    # -- reading rows --------------------------------------------------------------

    def represent(
        self,
        entity: EntityDef,
        row: dict[str, Any],
        select: list[str] | None,
        annotations: bool = False,
    ) -> dict[str, Any]:
        out = super().represent(entity, row, select, annotations)
        if not annotations:
            return out
        spec = self.tables[entity.name]
        for lk in spec.lookups:
            if lk.column in out and row.get(lk.column):
                out[lk.column + _LOGICAL] = (
                    row.get(lk.type_column) if lk.polymorphic else lk.targets[0]
                )
        for name in list(out):
            f = entity.field(name)
            labels = self.options.labels(f) if f is not None else None
            if labels and out[name] is not None:
                out[name + _FORMATTED] = labels.get(out[name], str(out[name]))
            if f is not None and f.type is FieldType.MONEY and out[name] is not None:
                out[name + _FORMATTED] = f"{json_value(row[name]):,.2f}"
        return out

    # -- writing rows --------------------------------------------------------------

    def decode(self, tx: Tx, entity: EntityDef, body: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        spec = self.tables[entity.name]
        for name, raw in body.items():
            if name.endswith("@odata.bind"):
                values.update(self._bind(tx, spec, name[: -len("@odata.bind")], raw))
            elif "@" in name:
                continue
            elif name.startswith("_") and name.endswith("_value"):
                # Dataverse's answer to a lookup written as its value property
                # (docs/protocols.md §A9).
                raise bad_request(
                    "CRM do not support direct update of Entity Reference properties, "
                    "Use Navigation properties instead.",
                    READ_ONLY_CODE,
                    target=name,
                )
            else:
                if name in SYSTEM_COLUMNS:
                    raise bad_request(read_only_message(entity, name), READ_ONLY_CODE, target=name)
                values[name] = self.decode_value(entity, name, raw)
        return values

    def _bind(self, tx: Tx, spec: Table, nav: str, raw: Any) -> dict[str, Any]:
        if nav in SYSTEM_LOOKUPS:
            # Declared navigation properties, but only the platform sets them.
            raise bad_request(read_only_message(spec.entity, nav), READ_ONLY_CODE, target=nav)
        match = bind_target(spec, nav)
        if match is None:
            # What Dataverse answers for a bind on a name that is not a single-valued
            # navigation property of the type, e.g. `customerid` instead of
            # `customerid_account` (docs/protocols.md §A9).
            raise bad_request(
                f"An undeclared property '{nav}' which only has property annotations in the "
                "payload but no property value was found in the payload. In OData, only "
                "declared navigation properties and declared named streams can be represented "
                "as properties without values.",
                target=nav,
            )
        lk, fixed_target = match
        if raw is None:
            return {lk.column: None, **({lk.type_column: None} if lk.polymorphic else {})}
        if not isinstance(raw, str):
            raise bad_request(f"The value of '{nav}@odata.bind' must be a URL.", target=nav)
        target, key = self.resolve_reference(tx, raw, nav)
        if target not in lk.targets or (fixed_target and target != fixed_target):
            raise bad_request(
                f"The reference '{raw}' in '{nav}@odata.bind' does not point to a table that "
                f"'{nav}' accepts ({fixed_target or ', '.join(lk.targets)}).",
                target=nav,
            )
        values: dict[str, Any] = {lk.column: key}
        if lk.polymorphic:
            values[lk.type_column] = target
        return values

    def resolve_reference(self, tx: Tx, url: str, field: str) -> tuple[str, str]:
        """`/accounts(<id>)`, `accounts(accountnumber='A1')` or an absolute URL → (entity, id)."""
        tail = url.rstrip("/").split("/")[-1]
        match = _KEY.match(tail)
        if not match or match.group(1) not in self.model.by_set:
            raise bad_request(f"The reference '{url}' is not a valid entity URL.", target=field)
        entity = self.model.by_set[match.group(1)]
        key = self.resolve_key(tx, entity, match.group(2))
        if tx.get(entity.name, key) is None:
            raise bad_request(
                f"{entity.name} With Id = {key} Does Not Exist", "0x80040217", target=field
            )
        return entity.name, key

    def resolve_key(self, tx: Tx, entity: EntityDef, text: str) -> str:
        """The primary key named by a key segment: a GUID or an alternate key."""
        if "=" not in text:
            return parse_guid(text, entity.key)
        pairs = dict(key_pairs(text))
        if list(pairs) == [entity.key]:
            if entity.name == "systemuser":
                raise _bad_key(entity)
            return parse_guid(pairs[entity.key], entity.key)
        if tuple(sorted(pairs)) not in {tuple(sorted(k)) for k in entity.alternate_keys}:
            raise _bad_key(entity)
        row = tx.first(entity.name, **pairs)
        if row is None:
            raise not_found(entity.name, text)
        return str(row[entity.key])


def bind_target(spec: Table, nav: str) -> tuple[Lookup, str | None] | None:
    """The lookup a `<nav>@odata.bind` sets, and the one table it must then point to (None:
    any of the lookup's targets, as for `ownerid`). Only the navigation names Dataverse
    declares bind; the system lookups (`createdby`, `modifiedby`) do not bind at all."""
    for lk in spec.lookups:
        if lk.name in SYSTEM_LOOKUPS:
            continue
        for t in lk.targets:
            if nav == lk.navigation(t):
                return lk, (t if lk.polymorphic and not lk.owner else None)
    return None


def read_only_message(entity: EntityDef, name: str) -> str:
    return (
        f"The property '{name}' of '{entity.name}' is read-only (IsValidForCreate and "
        "IsValidForUpdate are false); the server computes it."
    )


def key_pairs(text: str) -> list[tuple[str, Any]]:
    pairs = []
    for part in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", text):
        name, _, value = part.partition("=")
        value = value.strip()
        pairs.append(
            (name.strip(), value[1:-1].replace("''", "'") if value.startswith("'") else value)
        )
    return pairs


def _bad_key(entity: EntityDef) -> Exception:
    return bad_request(
        f"The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM."
        f"{entity.name}'. Ensure that the names and number of key properties match the declared "
        "or alternate key properties for the resource 'Microsoft.Dynamics.CRM."
        f"{entity.name}'."
    )
