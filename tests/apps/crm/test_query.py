"""Query options, server-driven paging and counts."""

from __future__ import annotations

from typing import Any

from tests.helpers import CrmClient


def _accounts(crm: CrmClient, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        rows.append(
            crm.create(
                "accounts",
                {
                    "name": f"Account {i:03d}",
                    "customertypecode": 3 if i % 2 else 8,
                    "address1_city": ["Oslo", "Lima", None][i % 3],
                    "creditlimit": i * 100,
                },
            )
        )
    return rows


def test_select_filter_orderby_top(crm: CrmClient) -> None:
    _accounts(crm, 12)
    r = crm.get(
        "accounts",
        params={
            "$select": "name,address1_city",
            "$filter": "customertypecode eq 3 and creditlimit ge 500",
            "$orderby": "name desc",
            "$top": "3",
        },
    )
    assert r.status_code == 200, r.text
    rows = r.json()["value"]
    assert [x["name"] for x in rows] == ["Account 011", "Account 009", "Account 007"]
    assert set(rows[0]) == {"@odata.etag", "name", "address1_city", "accountid"}
    assert r.json()["@odata.context"].endswith("$metadata#accounts(name,address1_city)")


def test_filter_functions_null_and_dates(crm: CrmClient) -> None:
    _accounts(crm, 6)

    def names(f: str) -> list[str]:
        rows = crm.get("accounts", params={"$filter": f}).json()["value"]
        return sorted(x["name"] for x in rows)

    assert names("contains(name,'00')") == [f"Account 00{i}" for i in range(6)]
    assert names("startswith(address1_city,'Os')") == ["Account 000", "Account 003"]
    assert names("address1_city eq null") == ["Account 002", "Account 005"]
    assert names("address1_city ne null and creditlimit lt 200") == ["Account 000", "Account 001"]
    assert len(names("createdon gt 2000-01-01T00:00:00Z")) == 6
    assert names("createdon lt 2000-01-01T00:00:00Z") == []
    assert len(names("customertypecode in (3, 8)")) == 6


def test_bad_queries_answer_400(crm: CrmClient) -> None:
    for params in (
        {"$filter": "nosuch eq 1"},
        {"$filter": "name eq"},
        {"$select": "nosuch"},
        {"$orderby": "nosuch"},
        {"$top": "x"},
        {"$expand": "nosuch"},
        {"$skip": "10"},
    ):
        r = crm.get("accounts", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["error"]["message"]
    assert "$skip" in crm.get("accounts", params={"$skip": "1"}).json()["error"]["message"]


def test_count_and_count_segment(crm: CrmClient) -> None:
    _accounts(crm, 7)
    r = crm.get(
        "accounts", params={"$count": "true", "$filter": "customertypecode eq 3", "$top": "1"}
    )
    assert r.json()["@odata.count"] == 3
    assert len(r.json()["value"]) == 1
    r = crm.get("accounts/$count")
    assert r.status_code == 200 and r.text == "7"


def test_paging_follows_next_links(crm: CrmClient) -> None:
    created = _accounts(crm, 23)
    seen: list[str] = []
    url: str | None = "accounts?$select=name&$orderby=address1_city,name"
    pages = 0
    while url:
        r = crm.get(url.split("/api/data/v9.2/")[-1], headers={"Prefer": "odata.maxpagesize=5"})
        assert r.status_code == 200, r.text
        assert r.headers["Preference-Applied"] == "odata.maxpagesize=5"
        body = r.json()
        assert len(body["value"]) <= 5
        seen += [x["accountid"] for x in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 5
    assert sorted(seen) == sorted(a["accountid"] for a in created)
    assert len(seen) == len(set(seen))


def test_paging_is_stable_under_concurrent_inserts_and_deletes(crm: CrmClient) -> None:
    created = _accounts(crm, 20)
    seen: list[str] = []
    r = crm.get("accounts", params={"$select": "name"}, headers={"Prefer": "odata.maxpagesize=4"})
    first = r.json()
    seen += [x["accountid"] for x in first["value"]]
    # Rows arrive and leave while the client pages: no surviving row is skipped or repeated.
    extra = _accounts(crm, 5)
    gone = created[-1]["accountid"]
    if gone not in seen:
        crm.delete(f"accounts({gone})")
    url = first.get("@odata.nextLink")
    while url:
        body = crm.get(
            url.split("/api/data/v9.2/")[-1], headers={"Prefer": "odata.maxpagesize=4"}
        ).json()
        seen += [x["accountid"] for x in body["value"]]
        url = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen))
    survivors = {a["accountid"] for a in created} - {gone}
    assert survivors <= set(seen)
    assert set(seen) <= survivors | {gone} | {a["accountid"] for a in extra}


def test_top_with_paging(crm: CrmClient) -> None:
    _accounts(crm, 12)
    r = crm.get("accounts", params={"$top": "7"}, headers={"Prefer": "odata.maxpagesize=5"})
    body = r.json()
    assert len(body["value"]) == 5
    nxt = crm.get(
        body["@odata.nextLink"].split("/api/data/v9.2/")[-1],
        headers={"Prefer": "odata.maxpagesize=5"},
    ).json()
    assert len(nxt["value"]) == 2 and "@odata.nextLink" not in nxt


def test_page_size_is_capped_at_5000(crm: CrmClient) -> None:
    r = crm.get("accounts", headers={"Prefer": "odata.maxpagesize=9000"})
    assert r.status_code == 200
    assert "Preference-Applied" not in r.headers


def test_tampered_skiptoken_is_400(crm: CrmClient) -> None:
    assert crm.get("accounts", params={"$skiptoken": "garbage!!"}).status_code == 400


def test_expand_collection_and_single(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "Parent"})
    for name in ("Zed", "Amy", "Bob"):
        crm.create(
            "contacts",
            {
                "lastname": name,
                "parentcustomerid_account@odata.bind": f"/accounts({acc['accountid']})",
            },
        )
    r = crm.get(
        f"accounts({acc['accountid']})",
        params={
            "$select": "name",
            "$expand": "contact_customer_accounts($select=lastname;"
            "$filter=lastname ne 'Bob';$orderby=lastname)",
        },
    )
    assert r.status_code == 200, r.text
    assert [c["lastname"] for c in r.json()["contact_customer_accounts"]] == ["Amy", "Zed"]
    r = crm.get(
        "contacts",
        params={"$expand": "parentcustomerid_account($select=name)", "$select": "lastname"},
    )
    assert {c["parentcustomerid_account"]["name"] for c in r.json()["value"]} == {"Parent"}
    # The children are also reachable as a navigation segment.
    r = crm.get(
        f"accounts({acc['accountid']})/contact_customer_accounts",
        params={"$select": "lastname", "$orderby": "lastname"},
    )
    assert [c["lastname"] for c in r.json()["value"]] == ["Amy", "Bob", "Zed"]


def test_formatted_values_with_annotations(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "F", "customertypecode": 3, "creditlimit": 1234.5})
    r = crm.get(
        f"accounts({acc['accountid']})", headers={"Prefer": 'odata.include-annotations="*"'}
    ).json()
    assert r["customertypecode@OData.Community.Display.V1.FormattedValue"] == "Customer"
    assert r["creditlimit@OData.Community.Display.V1.FormattedValue"] == "1,234.50"
