"""JSON $batch (atomic with Isolation: snapshot) and quotes: release, archive, makeOrder."""

from __future__ import annotations

from typing import Any

from tests.helpers import ERP_API, ErpClient


def _batch(erp: ErpClient, requests: list[dict[str, Any]], snapshot: bool = False) -> Any:
    headers = erp.headers({"Isolation": "snapshot"} if snapshot else None)
    return erp.http.post(ERP_API + "$batch", json={"requests": requests}, headers=headers)


def _create(erp: ErpClient, rid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "method": "POST",
        "url": f"companies({erp.company_id})/customers",
        "headers": {"Content-Type": "application/json"},
        "body": {"displayName": name, **extra},
    }


def test_batch_runs_each_request(erp: ErpClient) -> None:
    existing = erp.create("customers", {"displayName": "Old name"})
    r = _batch(
        erp,
        [
            _create(erp, "1", "Alpha"),
            _create(erp, "2", "Beta", blocked="Never"),
            {
                "id": "3",
                "method": "PATCH",
                "url": f"{ERP_API}companies({erp.company_id})/customers({existing['id']})",
                "headers": {"If-Match": existing["@odata.etag"]},
                "body": {"displayName": "New"},
            },
            {
                "id": "4",
                "method": "GET",
                "url": f"companies({erp.company_id})/customers?$count=true",
                "dependsOn": ["1"],
            },
            {
                "id": "5",
                "method": "GET",
                "url": f"companies({erp.company_id})/customers",
                "dependsOn": ["2"],
            },
        ],
    )
    assert r.status_code == 200, r.text
    answers = {x["id"]: x for x in r.json()["responses"]}
    assert answers["1"]["status"] == 201 and answers["1"]["body"]["displayName"] == "Alpha"
    assert answers["2"]["status"] == 400 and "blocked" in answers["2"]["body"]["error"]["message"]
    assert answers["3"]["status"] == 200 and answers["3"]["body"]["displayName"] == "New"
    assert answers["4"]["status"] == 200 and answers["4"]["body"]["@odata.count"] == 2
    assert answers["5"]["status"] == 424
    assert sorted(c["displayName"] for c in erp.rows("customers")) == ["Alpha", "New"]


def test_snapshot_batch_is_all_or_nothing(erp: ErpClient) -> None:
    r = _batch(
        erp,
        [_create(erp, "a", "One"), _create(erp, "b", "Two"), _create(erp, "c", "x" * 200)],
        snapshot=True,
    )
    assert r.status_code == 200
    statuses = {x["id"]: x["status"] for x in r.json()["responses"]}
    assert statuses == {"a": 424, "b": 424, "c": 400}
    assert erp.rows("customers") == []
    r = _batch(erp, [_create(erp, "a", "One"), _create(erp, "b", "Two")], snapshot=True)
    assert [x["status"] for x in r.json()["responses"]] == [201, 201]
    assert len(erp.rows("customers")) == 2


def test_batch_limit(erp: ErpClient) -> None:
    r = _batch(erp, [_create(erp, str(i), f"C{i}") for i in range(101)])
    assert r.status_code == 400 and "100" in r.json()["error"]["message"]
    r = _batch(erp, [_create(erp, str(i), f"C{i}") for i in range(100)])
    assert r.status_code == 200 and len(erp.rows("customers")) == 100


def _quote(erp: ErpClient) -> dict[str, Any]:
    customer = erp.create("customers", {"displayName": "Quoted"})
    item = erp.create("items", {"displayName": "Desk", "unitPrice": 200})
    return erp.create(
        "salesQuotes",
        {
            "customerId": customer["id"],
            "yourReference": "QUO-01001-CRM",
            "validUntilDate": "2030-01-31",
            "externalDocumentNumber": "Office refit",
            "salesQuoteLines": [
                {"itemId": item["id"], "quantity": 2},
                {"description": "Assembly included", "attachedToSequence": 10000},
            ],
        },
    )


def test_quote_release_and_archive_versions(erp: ErpClient) -> None:
    quote = _quote(erp)
    assert quote["status"] == "Draft" and quote["number"] == "S-QUO1001"
    assert quote["validUntilDate"] == "2030-01-31"
    assert (
        erp.action(f"salesQuotes({quote['id']})/Microsoft.NAV.release", custom=True).status_code
        == 204
    )
    assert erp.row(f"salesQuotes({quote['id']})")["status"] == "Open"
    for _ in range(2):
        r = erp.action(f"salesQuotes({quote['id']})/Microsoft.NAV.archive", custom=True)
        assert r.status_code == 204
    archives = erp.rows(
        "salesQuoteArchives",
        custom=True,
        **{"$orderby": "versionNumber", "$expand": "salesQuoteArchiveLines"},
    )
    assert [(a["quoteNumber"], a["versionNumber"]) for a in archives] == [
        ("S-QUO1001", 1),
        ("S-QUO1001", 2),
    ]
    assert archives[0]["totalAmountExcludingTax"] == 400
    assert len(archives[0]["salesQuoteArchiveLines"]) == 2


def test_make_order_from_quote(erp: ErpClient) -> None:
    quote = _quote(erp)
    r = erp.action(f"salesQuotes({quote['id']})/Microsoft.NAV.makeOrder")
    assert r.status_code == 204, r.text
    order_url = r.headers["Location"]
    order = erp.http.get(order_url + "?$expand=salesOrderLines", headers=erp.headers()).json()
    assert order["quoteNumber"] == "S-QUO1001" and order["status"] == "Draft"
    assert order["yourReference"] == "QUO-01001-CRM"
    assert order["totalAmountExcludingTax"] == 400
    kinds = sorted((x["sequence"], x["lineType"]) for x in order["salesOrderLines"])
    assert kinds == [(10000, "Item"), (20000, "Comment")]
    assert erp.get(f"salesQuotes({quote['id']})").status_code == 404
    archives = erp.rows("salesQuoteArchives", custom=True)
    assert [(a["quoteNumber"], a["versionNumber"]) for a in archives] == [("S-QUO1001", 1)]
