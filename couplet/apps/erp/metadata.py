"""Each API group's `$metadata`: a CSDL (EDMX 4.0) document generated from the ERP's model
(docs/protocols.md §B14).

Namespace `Microsoft.NAV` and container `NAV`, as Business Central's. Every entity the
group serves is an EntityType keyed on `id`, its visible fields typed properties (hidden
columns such as the company are left out, as GET leaves them out) and server-filled ones
annotated `Org.OData.Core.V1.Computed`; string fields with a fixed set of values are enum
types. Document lines are contained navigation properties of their header, and the entity
sets of a company are contained navigation properties of `company` - that is how
`companies({id})/customers` is addressed. Sets clients may only read say so with the
Capabilities vocabulary. Bound actions are declared on the entity they are bound to.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from .._common.model import EntityDef, Field, FieldType
from . import document_actions
from .actions import actions_of
from .schema import Table
from .tables import sets_of

NAMESPACE = "Microsoft.NAV"
_EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
_EDM = "http://docs.oasis-open.org/odata/ns/edm"
_VOCABULARIES = {
    "Org.OData.Core.V1": "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml",
    "Org.OData.Capabilities.V1": "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml",
}
_EDM_TYPES = {
    FieldType.GUID: "Edm.Guid",
    FieldType.STRING: "Edm.String",
    FieldType.MEMO: "Edm.String",
    FieldType.INT: "Edm.Int32",
    FieldType.CHOICE: "Edm.Int32",
    FieldType.BIGINT: "Edm.Int64",
    FieldType.DECIMAL: "Edm.Decimal",
    FieldType.MONEY: "Edm.Decimal",
    FieldType.BOOL: "Edm.Boolean",
    FieldType.DATETIME: "Edm.DateTimeOffset",
    FieldType.DATE: "Edm.Date",
}
_IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_]")

assert document_actions  # the actions register themselves when it is imported


def member_name(caption: str) -> str:
    """An enum member name for a caption: characters an identifier cannot hold are written
    `_xHHHH_`, the XML name encoding Business Central uses (" " is `_x0020_`)."""
    name = "".join(ch if _IDENTIFIER_CHAR.match(ch) else f"_x{ord(ch):04X}_" for ch in caption)
    return name if not name[:1].isdigit() else f"_x{ord(name[0]):04X}_{name[1:]}"


def enum_type_name(entity: EntityDef, f: Field) -> str:
    return f"{entity.name}{f.name[:1].upper()}{f.name[1:]}"


def _annotate(parent: ET.Element, term: str, **value: str) -> None:
    ET.SubElement(parent, "Annotation", {"Term": term, **value})


def _property(parent: ET.Element, entity: EntityDef, f: Field) -> None:
    attrs = {"Name": f.name}
    if f.options:
        attrs["Type"] = f"{NAMESPACE}.{enum_type_name(entity, f)}"
    else:
        attrs["Type"] = _EDM_TYPES[f.type]
    if f.name == entity.key:
        attrs["Nullable"] = "false"
    if f.type in (FieldType.STRING, FieldType.MEMO) and f.max_length and not f.options:
        attrs["MaxLength"] = str(f.max_length)
    if f.type in (FieldType.DECIMAL, FieldType.MONEY):
        attrs["Scale"] = "Variable"
    prop = ET.SubElement(parent, "Property", attrs)
    if f.read_only:
        _annotate(prop, "Org.OData.Core.V1.Computed", Bool="true")


def _entity_type(
    schema: ET.Element,
    entity: EntityDef,
    served: set[str],
    actions: Iterable[tuple[str, str]],
    contained: Iterable[Table] = (),
) -> None:
    node = ET.SubElement(schema, "EntityType", {"Name": entity.name})
    ET.SubElement(ET.SubElement(node, "Key"), "PropertyRef", {"Name": entity.key})
    for f in entity.visible_fields:
        _property(node, entity, f)
    for nav in entity.navs:
        if nav.target not in served:
            continue  # the target lives in another API group
        attrs = {"Name": nav.name, "Type": f"{NAMESPACE}.{nav.target}"}
        if nav.many:
            attrs["Type"] = f"Collection({attrs['Type']})"
            attrs["ContainsTarget"] = "true"
        ET.SubElement(node, "NavigationProperty", attrs)
    for table in contained:
        ET.SubElement(
            node,
            "NavigationProperty",
            {
                "Name": table.entity.entity_set,
                "Type": f"Collection({NAMESPACE}.{table.entity.name})",
                "ContainsTarget": "true",
            },
        )
    for bound_to, name in actions:
        if bound_to == entity.name:
            action = ET.SubElement(schema, "Action", {"Name": name, "IsBound": "true"})
            ET.SubElement(
                action,
                "Parameter",
                {
                    "Name": "bindingParameter",
                    "Type": f"{NAMESPACE}.{entity.name}",
                    "Nullable": "false",
                },
            )


def _enum_types(schema: ET.Element, entity: EntityDef) -> None:
    for f in entity.visible_fields:
        if not f.options:
            continue
        node = ET.SubElement(schema, "EnumType", {"Name": enum_type_name(entity, f)})
        for value, caption in enumerate(f.options):
            ET.SubElement(node, "Member", {"Name": member_name(caption), "Value": str(value)})


def _restrictions(entity_set: ET.Element, read_only: bool, singleton: bool) -> None:
    """What a set refuses, in the Capabilities vocabulary (a generic client reads these)."""
    refused = {
        "Insert": read_only or singleton,
        "Update": read_only,
        "Delete": read_only or singleton,
    }
    for verb, no in refused.items():
        if not no:
            continue
        term = ET.SubElement(
            entity_set, "Annotation", {"Term": f"Org.OData.Capabilities.V1.{verb}Restrictions"}
        )
        record = ET.SubElement(term, "Record")
        ET.SubElement(
            record, "PropertyValue", {"Property": f"{verb.capitalize()}able", "Bool": "false"}
        )


def metadata_document(
    group: str, read_only: Iterable[str] = (), singletons: Iterable[str] = ()
) -> bytes:
    """The group's CSDL document; `read_only` and `singletons` name entities whose sets
    clients may only read, or only read and update."""
    tables = sorted(sets_of(group).values(), key=lambda t: t.entity.entity_set)
    served = {t.entity.name for t in tables}
    actions = actions_of(group)
    ET.register_namespace("edmx", _EDMX)
    root = ET.Element(f"{{{_EDMX}}}Edmx", {"Version": "4.0"})
    for namespace, uri in _VOCABULARIES.items():
        reference = ET.SubElement(root, f"{{{_EDMX}}}Reference", {"Uri": uri})
        ET.SubElement(reference, f"{{{_EDMX}}}Include", {"Namespace": namespace})
    services = ET.SubElement(root, f"{{{_EDMX}}}DataServices")
    schema = ET.SubElement(services, "Schema", {"Namespace": NAMESPACE, "xmlns": _EDM})
    for table in tables:
        _enum_types(schema, table.entity)
    for table in tables:
        contained = (
            [t for t in tables if t.company_scoped] if table.entity.name == "company" else []
        )
        _entity_type(schema, table.entity, served, actions, contained)
    container = ET.SubElement(schema, "EntityContainer", {"Name": "NAV"})
    read_only, singletons = set(read_only), set(singletons)
    for table in tables:
        entity = table.entity
        node = ET.SubElement(
            container,
            "EntitySet",
            {"Name": entity.entity_set, "EntityType": f"{NAMESPACE}.{entity.name}"},
        )
        _restrictions(node, entity.name in read_only, entity.name in singletons)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
