"""The slice of Dataverse's metadata Web API an integration needs: entity and attribute
definitions, the options of choice columns, and `InsertOptionValue` to add one."""

from __future__ import annotations

import re
from typing import Any

from .._common.errors import ODataError, bad_request
from .._common.http import Reply, Request
from .._common.model import EntityDef, Field, FieldType, Model
from .._common.operations import require_privilege
from .._common.records import Tx
from . import relationships
from .options import OptionSets
from .schema import Lookup, Table

_ENTITY = re.compile(
    r"^EntityDefinitions(?:\(LogicalName='(?P<entity>\w+)'\))?"
    r"(?:/Attributes(?:\(LogicalName='(?P<attribute>\w+)'\))?"
    r"(?:/Microsoft\.Dynamics\.CRM\.(?P<cast>\w+))?)?$"
)
_TYPES = {
    FieldType.GUID: "Lookup",
    FieldType.STRING: "String",
    FieldType.MEMO: "Memo",
    FieldType.INT: "Integer",
    FieldType.BIGINT: "BigInt",
    FieldType.DECIMAL: "Decimal",
    FieldType.MONEY: "Money",
    FieldType.BOOL: "Boolean",
    FieldType.DATETIME: "DateTime",
    FieldType.DATE: "DateTime",
    FieldType.CHOICE: "Picklist",
}
LANGUAGE = 1033


def label(text: str) -> dict[str, Any]:
    localized = {"Label": text, "LanguageCode": LANGUAGE}
    return {"LocalizedLabels": [localized], "UserLocalizedLabel": localized}


class MetadataApi:
    def __init__(self, model: Model, options: OptionSets, tables: dict[str, Table]) -> None:
        self.model = model
        self.options = options
        self.tables = tables

    def handles(self, path: str) -> bool:
        return path.startswith("EntityDefinitions") or path == "InsertOptionValue"

    def __call__(self, tx: Tx, req: Request) -> Reply:
        if req.path.strip("/") == "InsertOptionValue":
            return self._insert_option(tx, req)
        if req.method != "GET":
            raise ODataError(405, "Metadata is read-only here.")
        if relationships.handles(req.path):
            return relationships.answer(self.model, self.tables, req)
        match = _ENTITY.match(req.path.strip("/"))
        if match is None:
            raise ODataError(404, f"Resource not found for the segment '{req.path}'.", "0x80060888")
        context = f"{req.base_url}$metadata#EntityDefinitions"
        if match.group("entity") is None:
            return Reply(
                200,
                {
                    "@odata.context": context,
                    "value": [self._entity(e) for e in self.model.entities.values()],
                },
            )
        entity = self._find(match.group("entity"))
        if req.path.rstrip("/").endswith("/Attributes"):
            return Reply(
                200,
                {
                    "@odata.context": context + "/Attributes",
                    "value": [self._attribute(entity, f) for f in self._attributes(entity)],
                },
            )
        if match.group("attribute") is None:
            return Reply(200, {"@odata.context": context + "/$entity", **self._entity(entity)})
        field = next(
            (
                f
                for f in self._attributes(entity)
                if self._name(entity, f) == match.group("attribute")
            ),
            None,
        )
        if field is None:
            raise ODataError(
                404,
                f"Could not find attribute '{match.group('attribute')}' on entity '{entity.name}'.",
                "0x80040217",
            )
        body = self._attribute(entity, field)
        if match.group("cast") == "PicklistAttributeMetadata":
            if field.type is not FieldType.CHOICE:
                raise bad_request(f"'{field.name}' is not a choice column.")
            values = self.options.labels(field) or {}
            body["OptionSet"] = {
                "Name": f"{entity.name}_{field.name}",
                "OptionSetType": "Picklist",
                "Options": [{"Value": v, "Label": label(t)} for v, t in sorted(values.items())],
            }
        return Reply(200, {"@odata.context": context + "/Attributes/$entity", **body})

    def _find(self, name: str) -> EntityDef:
        if name not in self.model.entities:
            raise ODataError(404, f"Could not find an entity with the name '{name}'.", "0x80040217")
        return self.model.entities[name]

    @staticmethod
    def _entity(e: EntityDef) -> dict[str, Any]:
        return {
            "LogicalName": e.name,
            "EntitySetName": e.entity_set,
            "PrimaryIdAttribute": e.key,
            "PrimaryNameAttribute": e.primary_name,
            "ChangeTrackingEnabled": True,
            "IsCustomEntity": e.name.startswith("nav_"),
        }

    @staticmethod
    def _attributes(e: EntityDef) -> list[Field]:
        return e.visible_fields

    def _lookup(self, e: EntityDef, f: Field) -> Lookup | None:
        return next((lk for lk in self.tables[e.name].lookups if lk.column == f.name), None)

    def _name(self, e: EntityDef, f: Field) -> str:
        """Lookups are named by their attribute (`parentcustomerid`), not the read-only
        `_parentcustomerid_value` property that carries their value."""
        lk = self._lookup(e, f)
        return lk.name if lk else f.name

    def _attribute(self, e: EntityDef, f: Field) -> dict[str, Any]:
        body: dict[str, Any] = {
            "LogicalName": self._name(e, f),
            "EntityLogicalName": e.name,
            "AttributeType": _TYPES[f.type],
            "MaxLength": f.max_length,
            "IsValidForUpdate": not f.read_only,
            "RequiredLevel": {"Value": "ApplicationRequired" if f.required else "None"},
        }
        lk = self._lookup(e, f)
        if lk is not None:
            # Dataverse's kinds: Owner (user or team), Customer (account or contact), Lookup.
            kinds = {"ownerid": "Owner", "customerid": "Customer", "parentcustomerid": "Customer"}
            body["AttributeType"] = kinds.get(lk.name, "Lookup")
            body["Targets"] = list(lk.targets)
        elif f.type is FieldType.GUID and f.name == e.key:
            body["AttributeType"] = "Uniqueidentifier"
        return body

    def _insert_option(self, tx: Tx, req: Request) -> Reply:
        if req.method != "POST":
            raise ODataError(405, "InsertOptionValue is an action; use POST.")
        if not tx.principal.is_admin and not tx.principal.can("*", "write"):
            raise ODataError(403, "You need the privilege to customize the system.", "0x80040220")
        body = req.json()
        entity = self._find(str(body.get("EntityLogicalName", "")))
        require_privilege(tx, entity, "write")
        attribute = str(body.get("AttributeLogicalName", ""))
        if entity.field(attribute) is None:
            raise bad_request(
                f"Could not find attribute '{attribute}' on '{entity.name}'.",
                target="AttributeLogicalName",
            )
        text = _label_text(body.get("Label"))
        value = body.get("Value")
        if value is not None and not isinstance(value, int):
            raise bad_request("Value must be an integer.", target="Value")
        new = self.options.insert(tx.conn, attribute, text, value)
        return Reply(
            200,
            {
                "@odata.context": f"{req.base_url}$metadata#Microsoft.Dynamics.CRM."
                "InsertOptionValueResponse",
                "NewOptionValue": new,
            },
        )


def _label_text(raw: Any) -> str:
    if isinstance(raw, dict):
        localized = raw.get("LocalizedLabels") or []
        if localized and isinstance(localized[0], dict) and localized[0].get("Label"):
            return str(localized[0]["Label"])
    raise bad_request("Label needs LocalizedLabels with a Label.", target="Label")
