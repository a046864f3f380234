"""What Business Central refuses, the reference ERP refuses with the same codes
(docs/protocols.md §B12), and inputs that once answered 500 (issue 16's fuzzing) answer 400
or follow OData."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ERP_API, ErpClient


def _error(r: Any, status: int = 400) -> dict[str, str]:
    assert r.status_code == status, r.text
    return dict(r.json()["error"])


def test_unknown_fields_and_query_options_are_refused(erp: ErpClient) -> None:
    erp.create("customers", {"displayName": "Adatum"})
    for params in (
        {"$select": "displayName,nosuch"},
        {"$orderby": "nosuch desc"},
        {"$filter": "nosuch eq 'x'"},
        {"$expand": "nosuchLines"},
        {"$nosuch": "1"},
        {"$apply": "groupby((city))"},
        {"$search": "Adatum"},
    ):
        error = _error(erp.get("customers", params=params))
        assert error["code"] == "BadRequest_NotFound", params
    assert "nosuch" in _error(erp.get("customers", params={"$select": "nosuch"}))["message"]
    error = _error(erp.get("customers/$count", params={"$filter": "nosuch eq 1"}))
    assert error["code"] == "BadRequest_NotFound"
    # Custom query options (no "$") are not system options; OData lets services ignore them.
    assert erp.get("customers", params={"tenant": "contoso"}).status_code == 200


def test_unknown_and_read_only_fields_are_refused_on_write(erp: ErpClient) -> None:
    error = _error(erp.post("customers", {"displayName": "X", "nosuch": 1}))
    assert error["code"] == "BadRequest" and "'nosuch' does not exist" in error["message"]
    error = _error(
        erp.post("customers", {"displayName": "X", "lastModifiedDateTime": "2030-01-01T00:00:00Z"})
    )
    assert error["code"] == "BadRequest_InvalidOperation"
    assert "'lastModifiedDateTime' is read-only" in error["message"]
    row = erp.create("customers", {"displayName": "Kept"})
    error = _error(erp.patch(f"customers({row['id']})", {"balanceDue": 5}))
    assert error["code"] == "BadRequest_InvalidOperation"
    error = _error(erp.patch(f"customers({row['id']})", {"companyId": erp.company_id}))
    assert error["code"] == "BadRequest"
    assert [c["displayName"] for c in erp.rows("customers")] == ["Kept"]
    assert erp.row(f"customers({row['id']})")["balanceDue"] == 0


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("displayName gt null", []),
        ("displayName lt null", []),
        ("null gt displayName", []),
        ("displayName ge null", []),  # Business Central has no nulls: blank is ""
        ("displayName ne null", ["Adatum", "Trey"]),
        ("displayName ge 'B' or displayName gt null", ["Trey"]),
        ("null le null and displayName eq 'Adatum'", ["Adatum"]),
    ],
)
def test_comparisons_with_null_follow_odata(erp: ErpClient, flt: str, expected: list[str]) -> None:
    erp.create("customers", {"displayName": "Adatum"})
    erp.create("customers", {"displayName": "Trey"})
    rows = erp.rows("customers", **{"$filter": flt})
    assert sorted(r["displayName"] for r in rows) == expected


def test_json_nested_too_deep_is_refused(erp: ErpClient) -> None:
    headers = erp.headers({"Content-Type": "application/json"})
    for body in (
        '{"displayName": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"displayName": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}",
    ):
        r = erp.http.post(erp.url("customers"), content=body, headers=headers)
        assert "nested more than 32 levels" in _error(r)["message"]
        r = erp.http.post(
            ERP_API + "$batch", content='{"requests": [' + body + "]}", headers=headers
        )
        assert _error(r)["code"] == "BadRequest"
    assert erp.rows("customers") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"headers": ["Content-Type: application/json"]}, "headers of request 'a'"),
        ({"headers": {"If-Match": 1}}, "headers of request 'a'"),
        ({"dependsOn": "b"}, "dependsOn of request 'a'"),
        ({"dependsOn": ["later"]}, "dependsOn of request 'a'"),
        ({"method": "MERGE"}, "needs a method"),
        ({"method": None}, "needs a method"),
        ({"url": 5}, "needs a url"),
        ({"id": 7}, "id of request 1"),
    ],
)
def test_malformed_batch_requests_make_the_batch_a_400(
    erp: ErpClient, change: dict[str, Any], message: str
) -> None:
    good = {"method": "POST", "url": f"companies({erp.company_id})/customers"}
    first = {"id": "a", **good, "body": {"displayName": "Never"}, **change}
    second = {"id": "later", **good, "body": {"displayName": "Never either"}}
    r = erp.http.post(ERP_API + "$batch", json={"requests": [first, second]}, headers=erp.headers())
    assert message in _error(r)["message"]
    assert erp.rows("customers") == []  # nothing ran


def test_batch_ids_are_unique_and_items_objects(erp: ErpClient) -> None:
    item = {"id": "x", "method": "GET", "url": f"companies({erp.company_id})/customers"}
    r = erp.http.post(ERP_API + "$batch", json={"requests": [item, item]}, headers=erp.headers())
    assert "more than one request" in _error(r)["message"]
    r = erp.http.post(ERP_API + "$batch", json={"requests": [item, "GET /"]}, headers=erp.headers())
    assert "not a JSON object" in _error(r)["message"]
    r = erp.http.post(ERP_API + "$batch", json={"requests": {"x": item}}, headers=erp.headers())
    assert "'requests' array" in _error(r)["message"]
