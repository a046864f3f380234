"""A CSDL `$metadata` document generated from the CRM's model, with the change-tracking
annotation Dataverse puts on tracked entity sets."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .._common.model import FieldType, Model

_EDM = {
    FieldType.GUID: "Edm.Guid",
    FieldType.STRING: "Edm.String",
    FieldType.MEMO: "Edm.String",
    FieldType.INT: "Edm.Int32",
    FieldType.BIGINT: "Edm.Int64",
    FieldType.DECIMAL: "Edm.Decimal",
    FieldType.MONEY: "Edm.Decimal",
    FieldType.BOOL: "Edm.Boolean",
    FieldType.DATETIME: "Edm.DateTimeOffset",
    FieldType.DATE: "Edm.Date",
    FieldType.CHOICE: "Edm.Int32",
}


def csdl(model: Model) -> str:
    types, sets = [], []
    for e in model.entities.values():
        props = "".join(
            f'<Property Name={quoteattr(f.name)} Type="{_EDM[f.type]}"/>' for f in e.visible_fields
        )
        navs = "".join(
            f'<NavigationProperty Name={quoteattr(n.name)} Type="'
            + (f"Collection(mscrm.{n.target})" if n.many else f"mscrm.{n.target}")
            + '"/>'
            for n in e.navs
        )
        types.append(
            f'<EntityType Name="{e.name}"><Key><PropertyRef Name="{e.key}"/></Key>'
            f"{props}{navs}</EntityType>"
        )
        sets.append(
            f'<EntitySet Name="{e.entity_set}" EntityType="mscrm.{e.name}">'
            '<Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record>'
            '<PropertyValue Property="Supported" Bool="true"/></Record></Annotation>'
            "</EntitySet>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
        '<edmx:DataServices><Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" '
        'xmlns="http://docs.oasis-open.org/odata/ns/edm">'
        + "".join(types)
        + '<EntityContainer Name="System">'
        + "".join(sets)
        + "</EntityContainer>"
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )
