"""Metadata: entity and attribute definitions, choice options, InsertOptionValue."""

from __future__ import annotations

from typing import Any

from tests.helpers import CrmClient

PICKLIST = (
    "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='{}')"
    "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
)


def _options(crm: CrmClient, attribute: str, entity: str = "account") -> dict[int, str]:
    r = crm.get(
        PICKLIST.format(attribute).replace("'account'", f"'{entity}'"),
        params={"$expand": "OptionSet"},
    )
    assert r.status_code == 200, r.text
    return {
        o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"]
        for o in r.json()["OptionSet"]["Options"]
    }


def test_entity_definitions(crm: CrmClient) -> None:
    r = crm.get("EntityDefinitions(LogicalName='salesorder')")
    assert r.status_code == 200
    body = r.json()
    assert body["EntitySetName"] == "salesorders" and body["PrimaryIdAttribute"] == "salesorderid"
    names = [
        a["LogicalName"]
        for a in crm.get("EntityDefinitions(LogicalName='account')/Attributes").json()["value"]
    ]
    assert "customertypecode" in names and "transactioncurrencyid" in names
    assert crm.get("EntityDefinitions(LogicalName='nosuch')").status_code == 404


def test_fixed_and_extensible_options(crm: CrmClient) -> None:
    assert _options(crm, "customertypecode")[3] == "Customer"
    assert _options(crm, "paymenttermscode") == {
        1: "Net 30",
        2: "2% 10, Net 30",
        3: "Net 45",
        4: "Net 60",
    }


def test_insert_option_value_extends_the_shared_set(crm: CrmClient) -> None:
    r = crm.post(
        "InsertOptionValue",
        {
            "EntityLogicalName": "account",
            "AttributeLogicalName": "paymenttermscode",
            "Label": {"LocalizedLabels": [{"Label": "14 DAYS", "LanguageCode": 1033}]},
        },
    )
    assert r.status_code == 200, r.text
    value = r.json()["NewOptionValue"]
    assert value == 100_000_000
    assert _options(crm, "paymenttermscode")[value] == "14 DAYS"
    # Orders, quotes and invoices share the set, so the new term is usable on all of them.
    assert _options(crm, "paymenttermscode", "salesorder")[value] == "14 DAYS"
    acc = crm.create("accounts", {"name": "Terms", "paymenttermscode": value})
    annotated = crm.get(
        f"accounts({acc['accountid']})", headers={"Prefer": 'odata.include-annotations="*"'}
    ).json()
    assert annotated["paymenttermscode@OData.Community.Display.V1.FormattedValue"] == "14 DAYS"
    assert crm.post("accounts", {"name": "Bad", "paymenttermscode": 77}).status_code == 400
    # An explicit value that exists already is refused; fixed choices cannot be extended.
    again = crm.post(
        "InsertOptionValue",
        {
            "EntityLogicalName": "account",
            "AttributeLogicalName": "address1_shippingmethodcode",
            "Value": 3,
            "Label": {"LocalizedLabels": [{"Label": "Dup", "LanguageCode": 1033}]},
        },
    )
    assert again.status_code == 400
    fixed = crm.post(
        "InsertOptionValue",
        {
            "EntityLogicalName": "account",
            "AttributeLogicalName": "customertypecode",
            "Label": {"LocalizedLabels": [{"Label": "New", "LanguageCode": 1033}]},
        },
    )
    assert fixed.status_code == 400


def test_options_survive_a_restart(database_url: str) -> None:
    from tests.helpers import crm_client

    with crm_client(database_url) as crm:
        crm.post(
            "InsertOptionValue",
            {
                "EntityLogicalName": "account",
                "AttributeLogicalName": "address1_freighttermscode",
                "Label": {"LocalizedLabels": [{"Label": "EXW", "LanguageCode": 1033}]},
            },
        )
    with crm_client(database_url) as crm:
        assert "EXW" in _options(crm, "address1_freighttermscode").values()


def test_lookup_attributes_name_their_targets(crm: CrmClient) -> None:
    attrs = {
        a["LogicalName"]: a
        for a in crm.get("EntityDefinitions(LogicalName='contact')/Attributes").json()["value"]
    }
    assert attrs["parentcustomerid"]["AttributeType"] == "Customer"
    assert attrs["parentcustomerid"]["Targets"] == ["account", "contact"]
    assert attrs["ownerid"]["Targets"] == ["systemuser", "team"]
    assert attrs["transactioncurrencyid"]["Targets"] == ["transactioncurrency"]
    assert "_parentcustomerid_value" not in attrs
    one = crm.get(
        "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='parentcustomerid')"
    )
    assert one.status_code == 200 and one.json()["AttributeType"] == "Customer"


def _relationships(crm: CrmClient, entity: str, kind: str, **params: str) -> list[dict[str, Any]]:
    r = crm.get(f"EntityDefinitions(LogicalName='{entity}')/{kind}", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["value"])


def test_many_to_one_relationships_name_the_binding_navigation(crm: CrmClient) -> None:
    rows = _relationships(
        crm,
        "contact",
        "ManyToOneRelationships",
        **{
            "$filter": "ReferencingAttribute eq 'parentcustomerid'",
            "$select": "ReferencedEntity,ReferencingEntityNavigationPropertyName",
        },
    )
    assert sorted(
        (r["ReferencedEntity"], r["ReferencingEntityNavigationPropertyName"]) for r in rows
    ) == [
        ("account", "parentcustomerid_account"),
        ("contact", "parentcustomerid_contact"),
    ]
    assert all(
        set(r) == {"MetadataId", "ReferencedEntity", "ReferencingEntityNavigationPropertyName"}
        for r in rows
    )
    every = {
        r["ReferencingAttribute"]: r
        for r in _relationships(crm, "annotation", "ManyToOneRelationships")
        if r["ReferencedEntity"] in ("salesorder", "owner")
    }
    assert every["objectid"]["ReferencingEntityNavigationPropertyName"] == "objectid_salesorder"
    assert every["objectid"]["ReferencedAttribute"] == "salesorderid"
    assert every["ownerid"]["ReferencingEntityNavigationPropertyName"] == "ownerid"
    # Each relationship's binding name is one the CRM accepts in `@odata.bind`.
    order = crm.create("salesorders", {"name": "O"})
    note = crm.create(
        "annotations",
        {
            "subject": "N",
            "objectid_salesorder@odata.bind": f"/salesorders({order['salesorderid']})",
        },
    )
    assert note["_objectid_value"] == order["salesorderid"]


def test_one_to_many_relationships_and_filters(crm: CrmClient) -> None:
    rows = _relationships(
        crm,
        "salesorder",
        "OneToManyRelationships",
        **{
            "$filter": "ReferencingEntity eq 'salesorderdetail' "
            "and ReferencingAttribute eq 'salesorderid'"
        },
    )
    assert len(rows) == 1
    (lines,) = rows
    assert (
        lines["ReferencedEntity"] == "salesorder" and lines["ReferencedAttribute"] == "salesorderid"
    )
    assert lines["ReferencedEntityNavigationPropertyName"] == "order_details"
    assert lines["SchemaName"] == "order_details"
    assert lines["ReferencingEntityNavigationPropertyName"] == "salesorderid"
    many = _relationships(crm, "account", "OneToManyRelationships")
    assert {"contact", "salesorder", "annotation"} <= {r["ReferencingEntity"] for r in many}
    assert all(r["ReferencedEntity"] == "account" for r in many)
    none = _relationships(
        crm,
        "account",
        "OneToManyRelationships",
        **{"$filter": "not (ReferencedEntity eq 'account')"},
    )
    assert none == []
    bad = crm.get(
        "EntityDefinitions(LogicalName='account')/OneToManyRelationships",
        params={"$select": "Nosuch"},
    )
    assert bad.status_code == 400
    missing = crm.get("EntityDefinitions(LogicalName='nosuch')/ManyToOneRelationships")
    assert missing.status_code == 404
