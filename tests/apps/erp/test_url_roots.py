"""Business Central online's service root (`/v2.0/{tenant}/{environment}`) beside the
on-premises one, and how `$batch` resolves its requests' URLs under each
(docs/protocols.md §B7, §B13)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ADMIN_ID, ADMIN_SECRET, ERP_API, ERP_CUSTOM, ErpClient

ONLINE = "/v2.0/contoso/Production"


def _post_batch(erp: ErpClient, endpoint: str, requests: list[dict[str, Any]]) -> Any:
    return erp.http.post(endpoint, json={"requests": requests}, headers=erp.headers())


def _create(rid: str, url: str, name: str) -> dict[str, Any]:
    return {"id": rid, "method": "POST", "url": url, "body": {"displayName": name}}


def _names(erp: ErpClient) -> list[str]:
    return sorted(c["displayName"] for c in erp.rows("customers"))


def test_the_online_root_serves_the_same_api(erp: ErpClient) -> None:
    token = erp.http.post(
        ONLINE + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ADMIN_ID,
            "client_secret": ADMIN_SECRET,
        },
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    companies = erp.http.get(f"{ONLINE}{ERP_API}companies", headers=headers)
    assert companies.status_code == 200
    assert companies.json()["@odata.context"] == (
        f"http://testserver{ONLINE}/api/v2.0/$metadata#companies"
    )
    assert [c["id"] for c in companies.json()["value"]] == [erp.company_id]
    scoped = f"{ONLINE}{ERP_API}companies({erp.company_id})/customers"
    created = erp.http.post(scoped, json={"displayName": "Online"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].startswith(f"http://testserver{ONLINE}/api/v2.0/")
    # The same row, whichever root reads it.
    assert [c["displayName"] for c in erp.rows("customers")] == ["Online"]
    erp.post("customers", {"displayName": "Second"})
    page = erp.http.get(scoped, headers={**headers, "Prefer": "odata.maxpagesize=1"}).json()
    assert page["@odata.nextLink"].startswith(f"http://testserver{ONLINE}/api/v2.0/companies(")
    custom = erp.http.get(
        f"{ONLINE}{ERP_CUSTOM}companies({erp.company_id})/resources", headers=headers
    )
    assert custom.status_code == 200


@pytest.mark.parametrize("root", ["", ONLINE])
def test_batch_urls_relative_to_the_batch_or_absolute_under_its_root(
    erp: ErpClient, root: str
) -> None:
    endpoint = f"{root}{ERP_API}$batch"
    scoped = f"companies({erp.company_id})/customers"
    r = _post_batch(
        erp,
        endpoint,
        [
            _create("relative", scoped, "Relative"),
            _create("absolute", f"http://testserver{root}{ERP_API}{scoped}", "Absolute"),
            _create("path", f"{root}{ERP_API}{scoped}", "Absolute path"),
        ],
    )
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["responses"]] == [201, 201, 201]
    location = r.json()["responses"][0]["headers"]["Location"]
    assert location.startswith(f"http://testserver{root}/api/v2.0/companies(")
    assert _names(erp) == ["Absolute", "Absolute path", "Relative"]


def test_an_online_batch_refuses_urls_that_drop_the_tenant_and_environment(
    erp: ErpClient,
) -> None:
    scoped = f"companies({erp.company_id})/customers"
    r = _post_batch(
        erp,
        f"{ONLINE}{ERP_API}$batch",
        [
            _create("1", f"{ERP_API}{scoped}", "Lost"),
            _create("2", f"http://testserver{ERP_API}{scoped}", "Lost too"),
            _create("3", f"{ONLINE}{ERP_CUSTOM}companies({erp.company_id})/customers", "Other"),
            {"id": "4", "method": "POST", "url": "$batch", "body": {"requests": []}},
        ],
    )
    assert r.status_code == 200
    answers = r.json()["responses"]
    assert [x["status"] for x in answers] == [400, 400, 400, 400]
    assert "cannot contain another batch" in answers[3]["body"]["error"]["message"]
    error = answers[0]["body"]["error"]
    assert error["code"] == "BadRequest_InvalidRequestUrl"
    assert f"not based on 'http://testserver{ONLINE}/api/v2.0/'" in error["message"]
    assert _names(erp) == []


def test_each_api_group_has_its_own_batch(erp: ErpClient) -> None:
    r = _post_batch(
        erp,
        f"{ONLINE}{ERP_CUSTOM}$batch",
        [
            {"id": "r", "method": "GET", "url": f"companies({erp.company_id})/resources"},
            {
                "id": "c",
                "method": "POST",
                "url": f"companies({erp.company_id})/shippingAgents",
                "body": {"code": "OWN", "displayName": "Own transport"},
            },
            _create("s", f"companies({erp.company_id})/customers", "Standard only"),
        ],
    )
    assert r.status_code == 200, r.text
    # customers is a v2.0 set: the custom group's batch does not reach it.
    assert [x["status"] for x in r.json()["responses"]] == [200, 201, 404]
    assert "/api/couplet/integration/v1.0/" in r.json()["responses"][1]["headers"]["Location"]
    assert erp.http.get(ERP_CUSTOM + "$batch", headers=erp.headers()).status_code == 405
