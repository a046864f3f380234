"""Create, read, update, delete; lookups with @odata.bind; ETags, conditional requests, upsert."""

from __future__ import annotations

import uuid

from tests.helpers import API, CrmClient


def test_create_returns_204_with_entity_id(crm: CrmClient) -> None:
    r = crm.post("accounts", {"name": "Fabrikam", "customertypecode": 3})
    assert r.status_code == 204
    url = r.headers["OData-EntityId"]
    assert url.startswith("http://testserver" + API + "accounts(")
    key = url.split("(")[1].rstrip(")")
    row = crm.row("accounts", key)
    assert row["name"] == "Fabrikam"
    assert row["statecode"] == 0 and row["statuscode"] == 1
    assert row["@odata.etag"] == f'W/"{row["versionnumber"]}"'
    assert row["createdon"].endswith("Z") and row["_createdby_value"]


def test_validation_names_the_field_and_writes_nothing(crm: CrmClient) -> None:
    r = crm.post("accounts", {"name": "x" * 161})
    assert r.status_code == 400
    assert "name" in r.json()["error"]["message"]
    r = crm.post("accounts", {"name": "A", "customertypecode": 99})
    assert r.status_code == 400 and "customertypecode" in r.json()["error"]["message"]
    r = crm.post("accounts", {"nosuchfield": 1, "name": "B"})
    assert r.status_code == 400 and "nosuchfield" in r.json()["error"]["message"]
    r = crm.post("accounts", {"customertypecode": 3})
    assert r.status_code == 400 and "'name'" in r.json()["error"]["message"]
    assert crm.get("accounts").json()["value"] == []


def test_lookup_bind_and_read_back(crm: CrmClient) -> None:
    usd = crm.get("transactioncurrencies", params={"$filter": "isocurrencycode eq 'USD'"}).json()[
        "value"
    ][0]
    account = crm.create(
        "accounts",
        {
            "name": "Litware",
            "transactioncurrencyid@odata.bind": "/transactioncurrencies("
            + usd["transactioncurrencyid"]
            + ")",
        },
    )
    assert account["_transactioncurrencyid_value"] == usd["transactioncurrencyid"]
    contact = crm.create(
        "contacts",
        {
            "firstname": "Kim",
            "lastname": "Abercrombie",
            "parentcustomerid_account@odata.bind": f"accounts({account['accountid']})",
        },
    )
    assert contact["_parentcustomerid_value"] == account["accountid"]
    assert contact["fullname"] == "Kim Abercrombie"
    annotated = crm.get(
        f"contacts({contact['contactid']})", headers={"Prefer": 'odata.include-annotations="*"'}
    ).json()
    assert (
        annotated["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"
    )
    # Absolute URLs work as well; the wrong table for the navigation property does not.
    r = crm.patch(
        f"contacts({contact['contactid']})",
        {
            "parentcustomerid_account@odata.bind": f"http://testserver{API}contacts({contact['contactid']})"
        },
    )
    assert r.status_code == 400


def test_dangling_reference_is_rejected(crm: CrmClient) -> None:
    r = crm.post(
        "contacts",
        {"lastname": "Nobody", "parentcustomerid_account@odata.bind": f"/accounts({uuid.uuid4()})"},
    )
    assert r.status_code == 400
    assert "Does Not Exist" in r.json()["error"]["message"]
    r = crm.post("contacts", {"lastname": "Nobody", "_parentcustomerid_value": str(uuid.uuid4())})
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("CRM do not support direct update")


def test_polymorphic_customer_on_orders(crm: CrmClient) -> None:
    account = crm.create("accounts", {"name": "Acc"})
    contact = crm.create("contacts", {"lastname": "Person"})
    for nav, target in (
        ("customerid_account", f"accounts({account['accountid']})"),
        ("customerid_contact", f"contacts({contact['contactid']})"),
    ):
        order = crm.create("salesorders", {"name": "O", f"{nav}@odata.bind": f"/{target}"})
        assert order["_customerid_value"] in (account["accountid"], contact["contactid"])
    expanded = crm.get(
        "salesorders",
        params={
            "$expand": "customerid_account($select=name),customerid_contact($select=fullname)",
            "$orderby": "createdon",
        },
    ).json()["value"]
    assert {(o["customerid_account"] or {}).get("name") for o in expanded} == {"Acc", None}
    assert {(o["customerid_contact"] or {}).get("fullname") for o in expanded} == {"Person", None}


def test_clear_lookup_with_ref_and_null_bind(crm: CrmClient) -> None:
    account = crm.create("accounts", {"name": "P"})
    child = crm.create(
        "accounts",
        {"name": "C", "parentaccountid@odata.bind": f"/accounts({account['accountid']})"},
    )
    r = crm.delete(f"accounts({child['accountid']})/parentaccountid/$ref")
    assert r.status_code == 204
    assert crm.row("accounts", child["accountid"])["_parentaccountid_value"] is None
    crm.patch(
        f"accounts({child['accountid']})",
        {"parentaccountid@odata.bind": f"/accounts({account['accountid']})"},
    )
    crm.patch(f"accounts({child['accountid']})", {"parentaccountid@odata.bind": None})
    assert crm.row("accounts", child["accountid"])["_parentaccountid_value"] is None


def test_etags_and_conditional_requests(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "E"})
    key, etag = acc["accountid"], acc["@odata.etag"]
    assert crm.get(f"accounts({key})", headers={"If-None-Match": etag}).status_code == 304
    r = crm.patch(f"accounts({key})", {"name": "E2"}, headers={"If-Match": etag})
    assert r.status_code == 204
    new_etag = r.headers["ETag"]
    assert new_etag != etag
    r = crm.patch(f"accounts({key})", {"name": "E3"}, headers={"If-Match": etag})
    assert r.status_code == 412
    assert r.json()["error"]["message"] == (
        "The version of the existing record doesn't match the RowVersion property provided."
    )
    assert crm.delete(f"accounts({key})", headers={"If-Match": etag}).status_code == 412
    assert crm.delete(f"accounts({key})", headers={"If-Match": new_etag}).status_code == 204
    assert crm.get(f"accounts({key})").status_code == 404


def test_upsert_rules(crm: CrmClient) -> None:
    key = str(uuid.uuid4())
    r = crm.patch(f"accounts({key})", {"name": "U"}, headers={"If-Match": "*"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"account With Id = {key} Does Not Exist"
    r = crm.patch(f"accounts({key})", {"name": "U"}, headers={"Prefer": "return=representation"})
    assert r.status_code == 201 and r.json()["accountid"] == key
    r = crm.patch(f"accounts({key})", {"name": "U2"}, headers={"If-None-Match": "*"})
    assert r.status_code == 412
    assert r.json()["error"]["message"] == "A record with matching key values already exists."
    r = crm.patch(f"accounts({key})", {"name": "U3"}, headers={"Prefer": "return=representation"})
    assert r.status_code == 200 and r.json()["name"] == "U3"


def test_alternate_keys(crm: CrmClient) -> None:
    r = crm.patch("accounts(accountnumber='A-100')", {"name": "By number"})
    assert r.status_code == 204
    row = crm.get("accounts(accountnumber='A-100')").json()
    assert row["name"] == "By number" and row["accountnumber"] == "A-100"
    assert crm.get("accounts(name='x')").status_code == 400
    user = crm.get("systemusers").json()["value"][0]
    assert crm.get(f"systemusers(systemuserid={user['systemuserid']})").status_code == 400
    assert crm.get(f"systemusers({user['systemuserid']})").status_code == 200


def test_update_stamps_modified_fields(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "M"})
    r = crm.patch(
        f"accounts({acc['accountid']})",
        {"telephone1": "555"},
        headers={"Prefer": "return=representation"},
    )
    assert r.status_code == 200
    after = r.json()
    assert after["telephone1"] == "555"
    assert after["versionnumber"] > acc["versionnumber"]
    assert after["modifiedon"] >= acc["modifiedon"]


def test_unknown_set_and_missing_row(crm: CrmClient) -> None:
    assert crm.get("widgets").status_code == 404
    assert crm.get(f"accounts({uuid.uuid4()})").status_code == 404
    assert crm.get("accounts(not-a-guid)").status_code == 400


def test_single_property_and_metadata(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "Prop"})
    assert crm.get(f"accounts({acc['accountid']})/name").json()["value"] == "Prop"
    meta = crm.get("$metadata")
    assert meta.status_code == 200
    assert 'EntitySet Name="accounts"' in meta.text
    assert "Org.OData.Capabilities.V1.ChangeTracking" in meta.text


def test_delete_clears_references_and_removes_owned_rows(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "Gone"})
    contact = crm.create(
        "contacts",
        {
            "lastname": "Stays",
            "parentcustomerid_account@odata.bind": f"/accounts({acc['accountid']})",
        },
    )
    note = crm.create(
        "annotations",
        {"subject": "n", "objectid_account@odata.bind": f"/accounts({acc['accountid']})"},
    )
    link = crm.get("contacts", headers={"Prefer": "odata.track-changes"}).json()["@odata.deltaLink"]
    assert crm.delete(f"accounts({acc['accountid']})").status_code == 204
    after = crm.row("contacts", contact["contactid"])
    assert after["_parentcustomerid_value"] is None
    # The cleared contact counts as changed for change tracking.
    changed = crm.get(link.split("/api/data/v9.2/")[-1]).json()["value"]
    assert [c["contactid"] for c in changed] == [contact["contactid"]]
    assert crm.get(f"annotations({note['annotationid']})").status_code == 404


def test_users_cannot_be_deleted(crm: CrmClient) -> None:
    user = crm.create("systemusers", {"firstname": "Keep", "lastname": "Me"})
    r = crm.delete(f"systemusers({user['systemuserid']})")
    assert r.status_code == 405 and "isdisabled" in r.json()["error"]["message"]


def test_rows_written_by_the_server_name_an_existing_user(crm: CrmClient) -> None:
    org = crm.get("organizations", params={"$expand": "createdby($select=fullname)"}).json()
    assert org["value"][0]["createdby"]["fullname"] == "SYSTEM"
