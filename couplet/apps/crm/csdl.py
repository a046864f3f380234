"""The service's self-description, generated from the CRM's tables: the JSON service document
at the service root and the CSDL (EDMX 4.0) `$metadata` document (docs/protocols.md §A14).

`$metadata` has what OData clients reflect on: every entity type (derived from the abstract
`crmbaseentity`, as in Dataverse) with its key, typed properties - the ones clients cannot
write annotated `Core.Computed` and `Core.Permissions/Read`, as Dataverse annotates them -
navigation properties (a polymorphic lookup has one per target table, `regardingobjectid_
salesorder`), the complex types the operations use, and the functions and actions served.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .._common.model import EntityDef, Field, FieldType, Model
from .bulk import BULK_MESSAGES
from .schema import Table

_EDM = {
    FieldType.GUID: "Edm.Guid",
    FieldType.STRING: 'Edm.String" Unicode="false',
    FieldType.MEMO: 'Edm.String" Unicode="false',
    FieldType.INT: "Edm.Int32",
    FieldType.BIGINT: "Edm.Int64",
    FieldType.DECIMAL: 'Edm.Decimal" Scale="Variable',
    FieldType.MONEY: 'Edm.Decimal" Scale="Variable',
    FieldType.BOOL: "Edm.Boolean",
    FieldType.DATETIME: "Edm.DateTimeOffset",
    FieldType.DATE: "Edm.Date",
    FieldType.CHOICE: "Edm.Int32",
}
_READ_ONLY = (
    '<Annotation Term="Org.OData.Core.V1.Computed" Bool="true"/>'
    '<Annotation Term="Org.OData.Core.V1.Permissions">'
    "<EnumMember>Org.OData.Core.V1.PermissionType/Read</EnumMember></Annotation>"
)
_CHANGE_TRACKING = (
    '<Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record>'
    '<PropertyValue Property="Supported" Bool="true"/></Record></Annotation>'
)
# The complex types the functions and actions take or answer.
_COMPLEX = {
    "WhoAmIResponse": {
        "BusinessUnitId": "Edm.Guid",
        "UserId": "Edm.Guid",
        "OrganizationId": "Edm.Guid",
    },
    "CreateMultipleResponse": {"Ids": "Collection(Edm.Guid)"},
    "InsertOptionValueResponse": {"NewOptionValue": "Edm.Int32"},
    "LocalizedLabel": {"Label": "Edm.String", "LanguageCode": "Edm.Int32"},
    "Label": {
        "LocalizedLabels": "Collection(mscrm.LocalizedLabel)",
        "UserLocalizedLabel": "mscrm.LocalizedLabel",
    },
    "ColumnSet": {"AllColumns": "Edm.Boolean", "Columns": "Collection(Edm.String)"},
    "ConditionExpression": {
        "AttributeName": "Edm.String",
        "Operator": "Edm.String",
        "Values": "Collection(mscrm.Object)",
    },
    "FilterExpression": {
        "FilterOperator": "Edm.String",
        "Conditions": "Collection(mscrm.ConditionExpression)",
    },
    "QueryExpression": {
        "EntityName": "Edm.String",
        "ColumnSet": "mscrm.ColumnSet",
        "Criteria": "mscrm.FilterExpression",
    },
    "Object": {"Type": "Edm.String", "Value": "Edm.String"},
    "BulkDeleteResponse": {"JobId": "Edm.Guid"},
    "nav_GetItemAvailabilityResponse": {
        "ProductNumber": "Edm.String",
        "UnitOfMeasure": "Edm.String",
        "Inventory": "Edm.Decimal",
        "QuantityOnSalesOrders": "Edm.Decimal",
        "AvailableInventory": "Edm.Decimal",
    },
}
# (name, parameters, return type or None) of the unbound operations.
_FUNCTIONS = [
    ("WhoAmI", {}, "mscrm.WhoAmIResponse"),
    (
        "nav_GetItemAvailability",
        {"ProductNumber": "Edm.String", "UnitOfMeasure": "Edm.String"},
        "mscrm.nav_GetItemAvailabilityResponse",
    ),
]
_ACTIONS = [
    ("WinQuote", {"QuoteClose": "mscrm.crmbaseentity", "Status": "Edm.Int32"}, None),
    ("CloseQuote", {"QuoteClose": "mscrm.crmbaseentity", "Status": "Edm.Int32"}, None),
    ("ReviseQuote", {"QuoteId": "Edm.Guid", "ColumnSet": "mscrm.ColumnSet"}, "mscrm.quote"),
    (
        "ConvertQuoteToSalesOrder",
        {"QuoteId": "Edm.Guid", "ColumnSet": "mscrm.ColumnSet"},
        "mscrm.salesorder",
    ),
    (
        "InsertOptionValue",
        {
            "EntityLogicalName": "Edm.String",
            "AttributeLogicalName": "Edm.String",
            "Value": "Edm.Int32",
            "Label": "mscrm.Label",
        },
        "mscrm.InsertOptionValueResponse",
    ),
    (
        "BulkDelete",
        {
            "QuerySet": "Collection(mscrm.QueryExpression)",
            "JobName": "Edm.String",
            "SendEmailNotification": "Edm.Boolean",
            "ToRecipients": "Collection(mscrm.crmbaseentity)",
            "CCRecipients": "Collection(mscrm.crmbaseentity)",
            "RecurrencePattern": "Edm.String",
            "StartDateTime": "Edm.DateTimeOffset",
        },
        "mscrm.BulkDeleteResponse",
    ),
]


def service_document(model: Model, base_url: str) -> dict[str, object]:
    return {
        "@odata.context": f"{base_url}$metadata",
        "value": [
            {"name": name, "kind": "EntitySet", "url": name} for name in sorted(model.by_set)
        ],
    }


def csdl(model: Model, tables: dict[str, Table]) -> str:
    types = ['<EntityType Name="crmbaseentity" Abstract="true"/>']
    types += [_entity_type(e, tables[e.name]) for e in model.entities.values()]
    complex_types = [
        f"<ComplexType Name={quoteattr(name)}>"
        + "".join(f"<Property Name={quoteattr(p)} Type={quoteattr(t)}/>" for p, t in props.items())
        + "</ComplexType>"
        for name, props in _COMPLEX.items()
    ]
    operations = [_operation("Function", *f) for f in _FUNCTIONS]
    operations += [_operation("Action", *a) for a in _ACTIONS]
    operations += [_bulk_action(name, returns) for name, returns in BULK_MESSAGES.items()]
    container = [_entity_set(e, model) for e in model.entities.values()]
    container += [
        f'<FunctionImport Name="{name}" Function="mscrm.{name}"/>' for name, _, _ in _FUNCTIONS
    ]
    container += [f'<ActionImport Name="{name}" Action="mscrm.{name}"/>' for name, _, _ in _ACTIONS]
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
        '<edmx:DataServices><Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" '
        'xmlns="http://docs.oasis-open.org/odata/ns/edm">'
        + "".join(types + complex_types + operations)
        + '<EntityContainer Name="System">'
        + "".join(container)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )


def read_only(spec: Table, f: Field) -> bool:
    """What a client cannot write: server-computed columns, and lookups' `_x_value`
    properties (they are set through `x@odata.bind`)."""
    return f.read_only or any(lk.column == f.name for lk in spec.lookups)


def _entity_type(e: EntityDef, spec: Table) -> str:
    props = "".join(
        f'<Property Name={quoteattr(f.name)} Type="{_EDM[f.type]}"'
        + (f">{_READ_ONLY}</Property>" if read_only(spec, f) else "/>")
        for f in e.visible_fields
    )
    navs = "".join(
        (
            f'<NavigationProperty Name={quoteattr(n.name)} Type="Collection(mscrm.{n.target})"/>'
            if n.many
            else f'<NavigationProperty Name={quoteattr(n.name)} Type="mscrm.{n.target}">'
            f'<ReferentialConstraint Property="{n.fk}" ReferencedProperty="{n.target}id"/>'
            "</NavigationProperty>"
        )
        for n in e.navs
    )
    return (
        f'<EntityType Name="{e.name}" BaseType="mscrm.crmbaseentity">'
        f'<Key><PropertyRef Name="{e.key}"/></Key>{props}{navs}</EntityType>'
    )


def _entity_set(e: EntityDef, model: Model) -> str:
    bindings = "".join(
        f'<NavigationPropertyBinding Path="{n.name}" Target="{model.entity(n.target).entity_set}"/>'
        for n in e.navs
    )
    return (
        f'<EntitySet Name="{e.entity_set}" EntityType="mscrm.{e.name}">'
        f"{bindings}{_CHANGE_TRACKING}</EntitySet>"
    )


def _operation(kind: str, name: str, params: dict[str, str], returns: str | None) -> str:
    body = "".join(
        f'<Parameter Name="{p}" Type="{t}" Nullable="{"false" if i == 0 else "true"}"/>'
        for i, (p, t) in enumerate(params.items())
    )
    result = f'<ReturnType Type="{returns}" Nullable="false"/>' if returns else ""
    composable = ' IsComposable="false"' if kind == "Function" else ""
    return f'<{kind} Name="{name}" IsBound="false"{composable}>{body}{result}</{kind}>'


def _bulk_action(name: str, returns: str | None) -> str:
    """Bound to any table's entity set, as Dataverse declares them (the tables a message is
    not available for answer that it is not supported: docs/protocols.md §A15)."""
    result = f'<ReturnType Type="mscrm.{returns}" Nullable="false"/>' if returns else ""
    return (
        f'<Action Name="{name}" IsBound="true">'
        '<Parameter Name="entityset" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/>'
        '<Parameter Name="Targets" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/>'
        f"{result}</Action>"
    )
