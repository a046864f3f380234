"""The bodies of Dataverse's metadata types, generated from the CRM's tables: `EntityMetadata`,
the `AttributeMetadata` family (one derived type per column kind, with its own properties),
`EntityKeyMetadata` and `OptionSetMetadata` (docs/protocols.md §A14)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from .._common.model import EntityDef, Field, FieldType
from .options import OptionSets, option_set_of
from .schema import Lookup, Table

LANGUAGE = 1033
_IDS = uuid.UUID("6d1f3c0e-8d36-4c55-9b0e-5a8c1f0e9a11")

# AttributeType (AttributeTypeCode) and the derived metadata type of each column kind.
_KINDS = {
    FieldType.STRING: ("String", "StringAttributeMetadata"),
    FieldType.MEMO: ("Memo", "MemoAttributeMetadata"),
    FieldType.INT: ("Integer", "IntegerAttributeMetadata"),
    FieldType.BIGINT: ("BigInt", "BigIntAttributeMetadata"),
    FieldType.DECIMAL: ("Decimal", "DecimalAttributeMetadata"),
    FieldType.MONEY: ("Money", "MoneyAttributeMetadata"),
    FieldType.BOOL: ("Boolean", "BooleanAttributeMetadata"),
    FieldType.DATETIME: ("DateTime", "DateTimeAttributeMetadata"),
    FieldType.DATE: ("DateTime", "DateTimeAttributeMetadata"),
    FieldType.CHOICE: ("Picklist", "PicklistAttributeMetadata"),
    FieldType.GUID: ("Uniqueidentifier", "UniqueIdentifierAttributeMetadata"),
}
# Casts that match more than one kind: the base types of Dataverse's attribute hierarchy.
_ENUMS = frozenset(
    {"PicklistAttributeMetadata", "StateAttributeMetadata", "StatusAttributeMetadata"}
)
BASE_CASTS: dict[str, frozenset[str] | None] = {
    "AttributeMetadata": None,
    "EnumAttributeMetadata": _ENUMS,
}
CASTS = {kind for _, kind in _KINDS.values()} | {
    "LookupAttributeMetadata",
    "StateAttributeMetadata",
    "StatusAttributeMetadata",
    *BASE_CASTS,
}
# Lookups Dataverse types specially: Owner (user or team), Customer (account or contact).
_LOOKUP_TYPES = {"ownerid": "Owner", "customerid": "Customer", "parentcustomerid": "Customer"}


@functools.cache  # asked for every table and column on every metadata read
def metadata_id(*parts: str) -> str:
    """A stable MetadataId: the same table or column has the same id in every database."""
    return str(uuid.uuid5(_IDS, ":".join(parts)))


def label(text: str) -> dict[str, Any]:
    localized = {"Label": text, "LanguageCode": LANGUAGE}
    return {"LocalizedLabels": [localized] if text else [], "UserLocalizedLabel": localized}


def _display(name: str) -> str:
    return name.replace("_", " ").strip().title()


@dataclass(frozen=True)
class Column:
    """One attribute of a table as the metadata API shows it."""

    entity: EntityDef
    field: Field
    lookup: Lookup | None

    @property
    def name(self) -> str:
        """Lookups are named by their attribute (`parentcustomerid`), not the read-only
        `_parentcustomerid_value` property that carries their value."""
        return self.lookup.name if self.lookup else self.field.name

    @property
    def kind(self) -> tuple[str, str]:
        if self.lookup is not None:
            return _LOOKUP_TYPES.get(self.lookup.name, "Lookup"), "LookupAttributeMetadata"
        if self.field.name == "statecode":
            return "State", "StateAttributeMetadata"
        if self.field.name == "statuscode":
            return "Status", "StatusAttributeMetadata"
        return _KINDS[self.field.type]

    def is_a(self, cast: str) -> bool:
        if cast in BASE_CASTS:
            family = BASE_CASTS[cast]
            return family is None or self.kind[1] in family
        return self.kind[1] == cast


class Definitions:
    def __init__(self, tables: dict[str, Table], options: OptionSets) -> None:
        self.tables = tables
        self.options = options

    # -- tables ---------------------------------------------------------------------

    def entity(self, e: EntityDef) -> dict[str, Any]:
        spec = self.tables[e.name]
        return {
            "MetadataId": metadata_id("entity", e.name),
            "LogicalName": e.name,
            "SchemaName": e.name,
            "EntitySetName": e.entity_set,
            "LogicalCollectionName": e.entity_set,
            "CollectionSchemaName": e.entity_set,
            "PrimaryIdAttribute": e.key,
            "PrimaryNameAttribute": e.primary_name,
            "DisplayName": label(_display(e.name)),
            "DisplayCollectionName": label(_display(e.entity_set)),
            "OwnershipType": "UserOwned" if spec.user_owned else "OrganizationOwned",
            # Posts and notes are not activities in Dataverse, and the CRM has no activity table.
            "IsActivity": False,
            "IsCustomEntity": e.name.startswith("nav_"),
            "IsIntersect": e.name == "systemuserroles",
            # Clients list tables with `IsPrivate eq false` (Microsoft's Python client does).
            "IsPrivate": False,
            "ChangeTrackingEnabled": True,
            "TableType": "Standard",
        }

    def columns(self, e: EntityDef) -> list[Column]:
        lookups = {lk.column: lk for lk in self.tables[e.name].lookups}
        return [Column(e, f, lookups.get(f.name)) for f in e.visible_fields]

    def keys(self, e: EntityDef) -> list[dict[str, Any]]:
        out = []
        for attributes in e.alternate_keys:
            name = f"{e.name}_{'_'.join(attributes)}_key"
            out.append(
                {
                    "MetadataId": metadata_id("key", e.name, name),
                    "LogicalName": name,
                    "SchemaName": name,
                    "EntityLogicalName": e.name,
                    "KeyAttributes": list(attributes),
                    "EntityKeyIndexStatus": "Active",
                    "DisplayName": label(_display(name)),
                }
            )
        return out

    # -- columns --------------------------------------------------------------------

    def attribute(self, c: Column) -> dict[str, Any]:
        f, e = c.field, c.entity
        attribute_type, metadata_type = c.kind
        system = f.read_only or f.name == e.key
        body: dict[str, Any] = {
            "@odata.type": f"#Microsoft.Dynamics.CRM.{metadata_type}",
            "MetadataId": metadata_id("attribute", e.name, c.name),
            "LogicalName": c.name,
            "SchemaName": c.name,
            "EntityLogicalName": e.name,
            "AttributeType": attribute_type,
            "AttributeTypeName": {"Value": f"{attribute_type}Type"},
            "DisplayName": label(f.label or _display(c.name)),
            "IsPrimaryId": f.name == e.key,
            "IsPrimaryName": f.name == e.primary_name,
            "IsCustomAttribute": c.name.startswith("nav_"),
            "IsValidForRead": True,
            # The column another is derived from (a name or yomi column); none here.
            "AttributeOf": None,
            "IsValidForCreate": not f.read_only and f.name != "statecode",
            "IsValidForUpdate": not system,
            "RequiredLevel": {
                "Value": "SystemRequired"
                if f.name == e.key
                else ("ApplicationRequired" if f.required else "None"),
                "CanBeChanged": not system,
                "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
            },
        }
        body.update(self._specific(c))
        return body

    def _specific(self, c: Column) -> dict[str, Any]:
        """The properties only the column's own metadata type has."""
        f = c.field
        if c.lookup is not None:
            return {"Targets": list(c.lookup.targets), "Format": "None"}
        match f.type:
            case FieldType.STRING:
                return {
                    "MaxLength": f.max_length or 4000,
                    "Format": "Text",
                    "FormatName": {"Value": "Text"},
                }
            case FieldType.MEMO:
                return {"MaxLength": f.max_length or 1_048_576, "Format": "TextArea"}
            case FieldType.INT:
                return {"MinValue": -2_147_483_648, "MaxValue": 2_147_483_647, "Format": "None"}
            case FieldType.BIGINT:
                return {"MinValue": -(2**63), "MaxValue": 2**63 - 1}
            case FieldType.DECIMAL:
                return {"Precision": 10, "MinValue": -100_000_000_000, "MaxValue": 100_000_000_000}
            case FieldType.MONEY:
                return {
                    "Precision": 4,
                    "PrecisionSource": 2,
                    "MinValue": -922_337_203_685_477,
                    "MaxValue": 922_337_203_685_477,
                    "IsBaseCurrency": False,
                }
            case FieldType.DATETIME:
                return {"Format": "DateAndTime", "DateTimeBehavior": {"Value": "UserLocal"}}
            case FieldType.DATE:
                return {"Format": "DateOnly", "DateTimeBehavior": {"Value": "DateOnly"}}
            case FieldType.CHOICE:
                return {"DefaultFormValue": f.default if isinstance(f.default, int) else -1}
        return {}

    def global_name(self, c: Column) -> str | None:
        """Choices clients may extend share one global option set (payment terms...)."""
        return option_set_of(c.field.name) if c.kind[0] == "Picklist" else None

    def option_set(self, c: Column) -> dict[str, Any] | None:
        """The `OptionSet` of a choice column (`$expand=OptionSet`); None for other kinds."""
        if c.kind[1] not in _ENUMS and c.kind[0] != "Boolean":
            return None
        if c.kind[0] == "Boolean":
            return {
                "@odata.type": "#Microsoft.Dynamics.CRM.BooleanOptionSetMetadata",
                "MetadataId": metadata_id("optionset", c.entity.name, c.name),
                "Name": f"{c.entity.name}_{c.name}",
                "IsGlobal": False,
                "OptionSetType": "Boolean",
                "TrueOption": {"Value": 1, "Label": label("Yes")},
                "FalseOption": {"Value": 0, "Label": label("No")},
            }
        shared = self.global_name(c)
        if shared is not None:
            return self.global_option_set(shared)
        kind = c.kind[0] if c.kind[0] in ("State", "Status") else "Picklist"
        values = self.options.labels(c.field) or {v: str(v) for v in c.field.choices or ()}
        return self._options_body(f"{c.entity.name}_{c.name}", False, kind, values)

    def global_option_sets(self) -> list[dict[str, Any]]:
        return [self.global_option_set(name) for name in sorted(self.options.names())]

    def global_option_set(self, name: str) -> dict[str, Any]:
        return self._options_body(name, True, "Picklist", self.options.values(name))

    @staticmethod
    def _options_body(
        name: str, is_global: bool, kind: str, values: dict[int, str]
    ) -> dict[str, Any]:
        return {
            "@odata.type": "#Microsoft.Dynamics.CRM.OptionSetMetadata",
            "MetadataId": metadata_id("optionset", name),
            "Name": name,
            "IsGlobal": is_global,
            "OptionSetType": kind,
            "DisplayName": label(_display(name)),
            "Options": [
                {"Value": v, "Label": label(text), "Description": label("")}
                for v, text in sorted(values.items())
            ],
        }
