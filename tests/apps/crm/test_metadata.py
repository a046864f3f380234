"""Metadata: entity and attribute definitions, choice options, InsertOptionValue."""

from __future__ import annotations

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
