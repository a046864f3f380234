"""EntityDefinitions as real clients query it: filters, select, keys, casts, expansions."""

from __future__ import annotations

from typing import Any

from tests.helpers import CrmClient

ACCOUNT = "EntityDefinitions(LogicalName='account')"
CRM = "Microsoft.Dynamics.CRM."


def _values(crm: CrmClient, path: str, **params: str) -> list[dict[str, Any]]:
    r = crm.get(path, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["value"])


def test_filter_by_logical_name_answers_that_table_only(crm: CrmClient) -> None:
    found = _values(
        crm,
        "EntityDefinitions",
        **{
            "$filter": "LogicalName eq 'account'",
            "$select": "LogicalName,EntitySetName,PrimaryIdAttribute",
        },
    )
    assert len(found) == 1
    assert found[0]["LogicalName"] == "account" and found[0]["EntitySetName"] == "accounts"
    # $select keeps the named properties and the MetadataId Dataverse always returns.
    assert set(found[0]) == {"LogicalName", "EntitySetName", "PrimaryIdAttribute", "MetadataId"}


def test_filters_combine_with_and_or_not(crm: CrmClient) -> None:
    def names(flt: str) -> set[str]:
        return {e["LogicalName"] for e in _values(crm, "EntityDefinitions", **{"$filter": flt})}

    assert names("LogicalName eq 'account' or EntitySetName eq 'contacts'") == {
        "account",
        "contact",
    }
    assert names("IsCustomEntity eq true") == {"nav_accountstatistics", "nav_connection"}
    assert names("IsCustomEntity eq true and LogicalName ne 'nav_connection'") == {
        "nav_accountstatistics"
    }
    assert "account" not in names("not (LogicalName eq 'account')")
    # The filter Microsoft's Python client lists tables with.
    assert "account" in names("IsPrivate eq false and (LogicalName eq 'account')")
    assert names("LogicalName eq 'nosuch'") == set()
    unknown = crm.get("EntityDefinitions", params={"$filter": "Nonsense eq 1"})
    assert unknown.status_code == 400 and "Nonsense" in unknown.text
    bad_select = crm.get("EntityDefinitions", params={"$select": "LogicalName,Nope"})
    assert bad_select.status_code == 400


def test_key_access_by_logical_name_and_metadata_id(crm: CrmClient) -> None:
    by_name = crm.get(ACCOUNT).json()
    by_id = crm.get(f"EntityDefinitions({by_name['MetadataId']})")
    assert by_id.status_code == 200 and by_id.json()["LogicalName"] == "account"
    assert by_name["OwnershipType"] == "UserOwned" and by_name["PrimaryNameAttribute"] == "name"
    assert by_name["@odata.context"].endswith("$metadata#EntityDefinitions/$entity")
    missing = crm.get("EntityDefinitions(00000000-0000-0000-0000-000000000001)")
    assert missing.status_code == 404


def test_expand_attributes_with_nested_select(crm: CrmClient) -> None:
    r = crm.get(
        ACCOUNT,
        params={
            "$select": "LogicalName",
            "$expand": "Attributes($select=LogicalName,AttributeType)",
        },
    )
    assert r.status_code == 200, r.text
    attrs = {a["LogicalName"]: a for a in r.json()["Attributes"]}
    assert attrs["name"]["AttributeType"] == "String"
    assert attrs["ownerid"]["AttributeType"] == "Owner"
    assert set(attrs["name"]) == {"@odata.type", "MetadataId", "LogicalName", "AttributeType"}
    bad = crm.get(ACCOUNT, params={"$expand": "Nonsense"})
    assert bad.status_code == 400


def test_attribute_casts_keep_that_type_only(crm: CrmClient) -> None:
    picklists = _values(crm, f"{ACCOUNT}/Attributes/{CRM}PicklistAttributeMetadata")
    names = {a["LogicalName"] for a in picklists}
    assert {"customertypecode", "paymenttermscode"} <= names
    assert "name" not in names and "statecode" not in names
    assert all(a["@odata.type"] == f"#{CRM}PicklistAttributeMetadata" for a in picklists)

    lookups = {
        a["LogicalName"]: a
        for a in _values(crm, f"{ACCOUNT}/Attributes/{CRM}LookupAttributeMetadata")
    }
    assert lookups["transactioncurrencyid"]["Targets"] == ["transactioncurrency"]
    assert lookups["ownerid"]["Targets"] == ["systemuser", "team"]
    assert "name" not in lookups

    strings = {
        a["LogicalName"]: a
        for a in _values(crm, f"{ACCOUNT}/Attributes/{CRM}StringAttributeMetadata")
    }
    assert strings["name"]["MaxLength"] == 160 and "Targets" not in strings["name"]
    assert "customertypecode" not in strings

    money = _values(crm, f"{ACCOUNT}/Attributes/{CRM}MoneyAttributeMetadata")
    assert money and all(a["AttributeType"] == "Money" and "Precision" in a for a in money)
    states = _values(crm, f"{ACCOUNT}/Attributes/{CRM}StateAttributeMetadata")
    assert [a["LogicalName"] for a in states] == ["statecode"]
    enums = {
        a["LogicalName"] for a in _values(crm, f"{ACCOUNT}/Attributes/{CRM}EnumAttributeMetadata")
    }
    assert {"statecode", "statuscode", "customertypecode"} <= enums
    assert crm.get(f"{ACCOUNT}/Attributes/{CRM}NoSuchMetadata").status_code == 404
    # A filter applies within the cast.
    one = _values(
        crm,
        f"{ACCOUNT}/Attributes/{CRM}PicklistAttributeMetadata",
        **{"$filter": "LogicalName eq 'customertypecode'", "$select": "LogicalName"},
    )
    assert [a["LogicalName"] for a in one] == ["customertypecode"]


def test_a_cast_to_another_type_names_no_attribute(crm: CrmClient) -> None:
    wrong = crm.get(f"{ACCOUNT}/Attributes(LogicalName='name')/{CRM}PicklistAttributeMetadata")
    assert wrong.status_code == 404
    right = crm.get(f"{ACCOUNT}/Attributes(LogicalName='name')/{CRM}StringAttributeMetadata")
    assert right.status_code == 200 and right.json()["MaxLength"] == 160


def test_option_sets_only_when_expanded(crm: CrmClient) -> None:
    path = f"{ACCOUNT}/Attributes(LogicalName='customertypecode')/{CRM}PicklistAttributeMetadata"
    assert "OptionSet" not in crm.get(path).json()
    local = crm.get(
        path, params={"$select": "LogicalName", "$expand": "OptionSet,GlobalOptionSet"}
    ).json()
    assert local["OptionSet"]["IsGlobal"] is False and local["GlobalOptionSet"] is None
    assert {
        o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in local["OptionSet"]["Options"]
    }[3] == "Customer"

    shared_path = path.replace("customertypecode", "paymenttermscode")
    shared = crm.get(shared_path, params={"$expand": "GlobalOptionSet"}).json()
    assert shared["GlobalOptionSet"]["Name"] == "paymenttermscode"
    assert shared["GlobalOptionSet"]["IsGlobal"] is True
    # Collections of a cast expand too, as the Dataverse client asks for picklist labels.
    all_sets = _values(
        crm,
        f"{ACCOUNT}/Attributes/{CRM}PicklistAttributeMetadata",
        **{"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
    )
    assert all(a["OptionSet"]["Options"] for a in all_sets)
    # Expanding a choice's options needs the cast (the base type has no OptionSet).
    assert crm.get(f"{ACCOUNT}/Attributes", params={"$expand": "OptionSet"}).status_code == 400


def test_keys_list_alternate_keys(crm: CrmClient) -> None:
    keys = _values(crm, f"{ACCOUNT}/Keys")
    assert [k["KeyAttributes"] for k in keys] == [["accountnumber"]]
    assert keys[0]["EntityLogicalName"] == "account"
    assert _values(crm, "EntityDefinitions(LogicalName='contact')/Keys") == []
    expanded = crm.get(ACCOUNT, params={"$expand": "Keys"}).json()
    assert expanded["Keys"][0]["KeyAttributes"] == ["accountnumber"]


def test_global_option_set_definitions(crm: CrmClient) -> None:
    sets = {s["Name"]: s for s in _values(crm, "GlobalOptionSetDefinitions")}
    assert {"paymenttermscode", "freighttermscode", "shippingmethodcode"} <= set(sets)
    one = crm.get("GlobalOptionSetDefinitions(Name='paymenttermscode')")
    assert one.status_code == 200, one.text
    labels = {o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in one.json()["Options"]}
    assert labels[1] == "Net 30"
    by_id = crm.get(f"GlobalOptionSetDefinitions({one.json()['MetadataId']})")
    assert by_id.status_code == 200 and by_id.json()["Name"] == "paymenttermscode"
    assert crm.get("GlobalOptionSetDefinitions(Name='nosuch')").status_code == 404
    # An option added through InsertOptionValue is in the global set at once.
    r = crm.post(
        "InsertOptionValue",
        {
            "EntityLogicalName": "account",
            "AttributeLogicalName": "paymenttermscode",
            "Label": {"LocalizedLabels": [{"Label": "Net 90", "LanguageCode": 1033}]},
        },
    )
    assert r.status_code == 200, r.text
    again = crm.get("GlobalOptionSetDefinitions(Name='paymenttermscode')").json()
    assert "Net 90" in {o["Label"]["UserLocalizedLabel"]["Label"] for o in again["Options"]}
