"""The Business Central API surface: auth, companies, URLs, ETags and If-Match, errors,
paging, the v2.0 filter restriction, and the custom group."""

from __future__ import annotations

import uuid

from tests.helpers import ERP_API, ErpClient, token_for


def test_token_and_auth(erp: ErpClient) -> None:
    r = erp.http.get(ERP_API + "companies")
    assert r.status_code == 401
    body = r.json()["error"]
    assert body["code"] == "Unauthorized" and "CorrelationId:" in body["message"]
    r = erp.http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "admin-client",
            "client_secret": "wrong",
        },
    )
    assert r.status_code == 401


def test_companies_and_company_scope(erp: ErpClient) -> None:
    companies = erp.http.get(ERP_API + "companies", headers=erp.headers()).json()["value"]
    assert [c["name"] for c in companies] == ["CRONUS"]
    one = erp.http.get(f"{ERP_API}companies({erp.company_id})", headers=erp.headers())
    assert one.status_code == 200 and one.json()["id"] == erp.company_id
    r = erp.http.get(f"{ERP_API}companies({uuid.uuid4()})/customers", headers=erp.headers())
    assert r.status_code == 404
    r = erp.http.get(f"{ERP_API}companies({erp.company_id})/nosuchset", headers=erp.headers())
    assert r.status_code == 404 and r.json()["error"]["code"] == "BadRequest_NotFound"


def test_create_answers_201_with_bc_shape(erp: ErpClient) -> None:
    r = erp.post("customers", {"displayName": "Adatum Corporation", "city": "Atlanta"})
    assert r.status_code == 201
    row = r.json()
    uuid.UUID(row["id"])
    assert row["number"] == "C00001"
    assert row["@odata.etag"].startswith('W/"') and row["@odata.etag"] == r.headers["ETag"]
    assert row["lastModifiedDateTime"].endswith("Z")
    assert row["blocked"] == " " and row["type"] == "Company"
    assert row["addressLine2"] == "" and row["balanceDue"] == 0
    assert row["currencyId"] == "00000000-0000-0000-0000-000000000000"
    assert r.headers["Location"].endswith(f"customers({row['id']})")
    assert "companyId" not in row and "systemRowVersion" not in row
    assert row["@odata.context"].endswith(f"companies({erp.company_id})/customers/$entity")


def test_if_match_is_required_and_checked(erp: ErpClient) -> None:
    row = erp.create("customers", {"displayName": "Fabrikam"})
    r = erp.patch(f"customers({row['id']})", {"city": "Oslo"}, etag=None)
    assert r.status_code == 428
    r = erp.patch(f"customers({row['id']})", {"city": "Oslo"}, etag=row["@odata.etag"])
    assert r.status_code == 200 and r.json()["city"] == "Oslo"
    assert r.json()["@odata.etag"] != row["@odata.etag"]
    r = erp.patch(f"customers({row['id']})", {"city": "Bergen"}, etag=row["@odata.etag"])
    assert r.status_code == 412 and r.json()["error"]["code"] == "Request_EntityChanged"
    assert erp.delete(f"customers({row['id']})", etag=None).status_code == 428
    assert erp.delete(f"customers({row['id']})", etag=row["@odata.etag"]).status_code == 412
    assert erp.delete(f"customers({row['id']})").status_code == 204
    assert erp.get(f"customers({row['id']})").status_code == 404


def test_errors_name_the_field(erp: ErpClient) -> None:
    r = erp.post("customers", {"displayName": "X", "blocked": "Sometimes"})
    assert r.status_code == 400
    assert "'Sometimes' is not an option" in r.json()["error"]["message"]
    assert "blocked" in r.json()["error"]["message"]
    r = erp.post("customers", {"displayName": "X", "currencyId": str(uuid.uuid4())})
    assert r.status_code == 400 and "currencyId" in r.json()["error"]["message"]
    r = erp.post("customers", {"displayName": "X", "currencyCode": "XXX"})
    assert r.status_code == 400 and "currencyCode" in r.json()["error"]["message"]
    r = erp.post("customers", {"displayName": "X", "nosuch": 1})
    assert r.status_code == 400 and "nosuch" in r.json()["error"]["message"]
    r = erp.post("customers", {"city": "Nowhere"})
    assert r.status_code == 400 and "displayName" in r.json()["error"]["message"]
    r = erp.post("customers", {"displayName": "x" * 101})
    assert r.status_code == 400 and "displayName" in r.json()["error"]["message"]
    assert erp.rows("customers") == []


def test_numbers_are_unique_per_company(erp: ErpClient) -> None:
    erp.create("customers", {"number": "K1", "displayName": "One"})
    r = erp.post("customers", {"number": "K1", "displayName": "Two"})
    assert r.status_code == 400 and "K1" in r.json()["error"]["message"]
    r = erp.post("unitsOfMeasure", {"code": "PCS"})
    assert r.status_code == 400


def test_paging_with_next_links(erp: ErpClient) -> None:
    for i in range(7):
        erp.create("customers", {"displayName": f"Customer {i}"})
    seen: list[str] = []
    r = erp.get(
        "customers",
        headers={"Prefer": "odata.maxpagesize=3"},
        params={"$orderby": "number", "$select": "number,displayName"},
    )
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [c["number"] for c in body["value"]]
        if "@odata.nextLink" not in body:
            break
        assert len(body["value"]) == 3
        r = erp.http.get(body["@odata.nextLink"], headers=erp.headers())
    assert seen == [f"C{n:05d}" for n in range(1, 8)]
    r = erp.get("customers", params={"$count": "true", "$top": "2"})
    assert r.json()["@odata.count"] == 7 and len(r.json()["value"]) == 2


def test_filter_or_on_distinct_fields_is_rejected(erp: ErpClient) -> None:
    erp.create("customers", {"displayName": "A", "city": "Oslo"})
    erp.create("customers", {"displayName": "B", "city": "Rome"})
    same = erp.rows("customers", **{"$filter": "city eq 'Oslo' or city eq 'Rome'"})
    assert len(same) == 2
    r = erp.get("customers", params={"$filter": "city eq 'Oslo' or displayName eq 'B'"})
    assert r.status_code == 400
    assert "The 'OR' operator is not supported on distinct fields" in r.json()["error"]["message"]
    blank = erp.rows("customers", **{"$filter": "blocked eq ' ' and addressLine2 eq ''"})
    assert len(blank) == 2


def test_custom_group_and_read_only_sets(erp: ErpClient) -> None:
    setup = erp.rows("salesSetup", custom=True)
    assert len(setup) == 1 and setup[0]["freightAccountNumber"] == "40400"
    assert setup[0]["writeInProductType"] == "Item"
    r = erp.get("salesSetup")  # not in the standard API
    assert r.status_code == 404
    r = erp.post("itemLedgerEntries", {})
    assert r.status_code == 405
    r = erp.post("salesSetup", {}, custom=True)
    assert r.status_code == 405


def test_read_only_permission_set(erp: ErpClient) -> None:
    from couplet.apps._common.records import SYSTEM, Tx
    from couplet.apps.erp.security import READ, ensure_api_user

    app = erp.http.app
    service = app.state.service  # type: ignore[attr-defined]
    with service.transactions.begin() as conn:
        ensure_api_user(
            Tx(conn, service.model, SYSTEM, service.rules, service.clock),
            "reader",
            "reader-secret",
            READ,
        )
    reader = ErpClient(erp.http, token_for(erp.http, "reader", "reader-secret"))
    assert reader.get("customers").status_code == 200
    r = reader.post("customers", {"displayName": "No"})
    assert r.status_code == 403


def test_unknown_properties_are_named_with_business_centrals_namespace(erp: ErpClient) -> None:
    r = erp.get("customers", params={"$select": "nosuch"})
    assert r.status_code == 400
    assert "'Microsoft.NAV.customer'" in r.json()["error"]["message"]
