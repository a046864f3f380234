"""The reference CRM refuses what Dataverse refuses: binds on undeclared navigation names,
filter functions Dataverse does not document, query options it does not implement, writes
to system columns; and it compares text as Dataverse does (ignoring case)."""

from __future__ import annotations

import pytest

from tests.helpers import CrmClient

UNDECLARED = "An undeclared property '{}' which only has property annotations in the payload"


def _error(r: object) -> dict[str, str]:
    body = r.json()  # type: ignore[attr-defined]
    assert isinstance(body, dict)
    return dict(body["error"])


@pytest.mark.parametrize(
    ("entity_set", "nav", "target"),
    [
        ("salesorders", "customerid", "accounts"),
        ("contacts", "parentcustomerid", "accounts"),
        ("annotations", "objectid", "accounts"),
        ("posts", "regardingobjectid", "accounts"),
        ("accounts", "ownerid_systemuser", "systemusers"),
        ("accounts", "primarycontactid_contact", "accounts"),
    ],
)
def test_bind_needs_a_declared_navigation_name(
    crm: CrmClient, entity_set: str, nav: str, target: str
) -> None:
    rows = crm.get(target, params={"$top": "1"}).json()["value"]
    if not rows:
        rows = [crm.create(target, {"name": "Target"})]
    key = next(k for k in rows[0] if k.endswith("id") and not k.startswith("_"))
    body = {f"{nav}@odata.bind": f"/{target}({rows[0][key]})"}
    body.update({"lastname": "X"} if entity_set == "contacts" else {})
    body.update({"text": "Hi", "source": 2, "type": 7} if entity_set == "posts" else {})
    r = crm.post(entity_set, body)
    assert r.status_code == 400, r.text
    error = _error(r)
    assert error["message"].startswith(UNDECLARED.format(nav)), error
    assert error["code"] == "0x80060888"


def test_declared_navigation_names_bind(crm: CrmClient) -> None:
    account = crm.create("accounts", {"name": "Bound"})
    ref = f"/accounts({account['accountid']})"
    note = crm.create("annotations", {"subject": "N", "objectid_account@odata.bind": ref})
    assert note["_objectid_value"] == account["accountid"]
    post = crm.create(
        "posts",
        {"text": "Hi", "source": 2, "type": 7, "regardingobjectid_account@odata.bind": ref},
    )
    assert post["_regardingobjectid_value"] == account["accountid"]
    order = crm.create("salesorders", {"name": "O", "customerid_account@odata.bind": ref})
    assert order["_customerid_value"] == account["accountid"]
    # A suffix must name the table the reference points to.
    r = crm.post("salesorders", {"name": "O", "customerid_contact@odata.bind": ref})
    assert r.status_code == 400, r.text
    # An owner is expanded through owninguser, as Dataverse names it.
    owned = crm.get(f"accounts({account['accountid']})", params={"$expand": "owninguser"})
    assert owned.status_code == 200 and owned.json()["owninguser"]["systemuserid"]


def test_lookup_values_and_system_columns_are_read_only(crm: CrmClient) -> None:
    account = crm.create("accounts", {"name": "RO"})
    for body in (
        {"name": "X", "_createdby_value": account["_createdby_value"]},
        {"name": "X", "_primarycontactid_value": None},
    ):
        r = crm.post("accounts", body)
        assert r.status_code == 400, r.text
        assert _error(r)["message"] == (
            "CRM do not support direct update of Entity Reference properties, "
            "Use Navigation properties instead."
        )
        assert _error(r)["code"] == "0x80048d19"
    r = crm.post(
        "accounts",
        {"name": "X", "createdby@odata.bind": f"/systemusers({account['_createdby_value']})"},
    )
    assert r.status_code == 400 and "'createdby'" in _error(r)["message"], r.text
    for column, value in (
        ("createdon", "2020-01-01T00:00:00Z"),
        ("modifiedon", "2020-01-01T00:00:00Z"),
        ("versionnumber", 1),
    ):
        r = crm.patch(f"accounts({account['accountid']})", {column: value})
        assert r.status_code == 400, r.text
        assert f"'{column}'" in _error(r)["message"] and "read-only" in _error(r)["message"]


def _names(crm: CrmClient, flt: str) -> list[str]:
    r = crm.get("accounts", params={"$filter": flt, "$select": "name"})
    assert r.status_code == 200, (flt, r.text)
    return sorted(x["name"] for x in r.json()["value"])


def test_text_compares_ignoring_case(crm: CrmClient) -> None:
    for name in ("Contoso Ltd", "FABRIKAM", "50% off_sale"):
        crm.create("accounts", {"name": name, "address1_city": name.split()[0]})
    assert _names(crm, "name eq 'contoso ltd'") == ["Contoso Ltd"]
    assert _names(crm, "name ne 'CONTOSO LTD' and name eq 'fabrikam'") == ["FABRIKAM"]
    assert _names(crm, "name in ('FABRIKAM','CONTOSO ltd')") == ["Contoso Ltd", "FABRIKAM"]
    assert _names(crm, "contains(name,'ABRIK')") == ["FABRIKAM"]
    assert _names(crm, "startswith(name,'contoso')") == ["Contoso Ltd"]
    assert _names(crm, "endswith(name,'LTD')") == ["Contoso Ltd"]
    # Wildcards of SQL's LIKE are plain characters in OData.
    assert _names(crm, "contains(name,'%')") == ["50% off_sale"]
    assert _names(crm, "contains(name,'_')") == ["50% off_sale"]
    assert _names(crm, "contains(name,'o%f')") == []


def test_only_documented_filter_functions(crm: CrmClient) -> None:
    crm.create("accounts", {"name": "Contoso"})
    for flt in (
        "tolower(name) eq 'contoso'",
        "toupper(name) eq 'CONTOSO'",
        "length(name) eq 7",
        "trim(name) eq 'Contoso'",
        "substring(name,1) eq 'ontoso'",
        "year(createdon) eq 2020",
    ):
        r = crm.get("accounts", params={"$filter": flt})
        assert r.status_code == 400, (flt, r.text)
        assert "is not supported in $filter" in _error(r)["message"]


def test_ordering_comparisons_with_null(crm: CrmClient) -> None:
    crm.create("accounts", {"name": "Named", "address1_city": "Oslo"})
    crm.create("accounts", {"name": "Cityless"})
    assert _names(crm, "name gt null") == []
    assert _names(crm, "address1_city lt null") == []
    assert _names(crm, "null gt name") == []
    assert _names(crm, "address1_city ge null") == ["Cityless"]
    assert _names(crm, "null le address1_city") == ["Cityless"]
    assert _names(crm, "address1_city eq null") == ["Cityless"]


@pytest.mark.parametrize(
    "params",
    [
        {"fetchXml": "<fetch><entity name='account'/></fetch>"},
        {"savedQuery": "00000000-0000-0000-0000-000000000001"},
        {"userQuery": "00000000-0000-0000-0000-000000000001"},
        {"sql": "SELECT name FROM account"},
        {"$apply": "groupby((name))"},
        {"$search": "contoso"},
        {"$skip": "1"},
        {"$nosuch": "1"},
    ],
)
def test_query_options_not_implemented_are_refused(crm: CrmClient, params: dict[str, str]) -> None:
    crm.create("accounts", {"name": "Contoso"})
    r = crm.get("accounts", params=params)
    assert r.status_code == 400, (params, r.text)
    name = next(iter(params))
    assert f"The query parameter {name} is not supported" in _error(r)["message"]
