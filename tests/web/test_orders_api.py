"""The REST API of sales order integration end to end: switching it through the connection
endpoint, submitted orders, creating them, the status and notes jobs."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Web


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_orders_through_the_rest_api(web: Web) -> None:
    api, erp, crm = web.http, web.systems.erp, web.systems.crm
    web.seed()
    web.enable()
    done = _ok(api.post("/api/v1/full-sync/start?wait=true"))["result"]
    assert done["failed"] == [], done
    on = _ok(api.put("/api/v1/connection", json={"sales_order_integration": True}))
    assert on["features"]["sales_order_integration"] is True
    assert crm.get("organizations").json()["value"][0]["issopintegrationenabled"] is True
    assert "SALESORDER-ORDER" in {m["name"] for m in _ok(api.get("/api/v1/mappings"))}

    account = crm.get("accounts", params={"$filter": "name eq 'Adatum Corporation'"}).json()[
        "value"
    ][0]
    product = crm.get("products").json()["value"][0]
    order = crm.create(
        "salesorders",
        {"name": "Spring", "customerid_account@odata.bind": f"/accounts({account['accountid']})"},
    )
    crm_id = order["salesorderid"]
    crm.create(
        "salesorderdetails",
        {
            "salesorderid@odata.bind": f"/salesorders({crm_id})",
            "productid@odata.bind": f"/products({product['productid']})",
            "quantity": 1,
        },
    )
    assert crm.patch(f"salesorders({crm_id})", {"statecode": 1}).status_code == 204
    assert [o["crm_id"] for o in _ok(api.get("/api/v1/orders/submitted"))] == [crm_id]

    refused = api.put("/api/v1/connection", json={"sales_order_integration": False})
    assert refused.status_code == 409 and "cannot be switched off" in refused.json()["detail"]

    assert api.post("/api/v1/orders/create", json={"crm_ids": []}).status_code == 422
    created = _ok(api.post("/api/v1/orders/create", json={"crm_ids": [crm_id]}))
    [result] = created["results"]
    assert result["created"] and created["job"]["inserted"] == 1
    assert _ok(api.get("/api/v1/orders/submitted")) == []

    r = erp.action(f"salesOrders({result['erp_id']})/Microsoft.NAV.release", custom=True)
    assert r.status_code == 204, r.text
    status = _ok(api.post("/api/v1/orders/status"))
    assert status["failed"] == 0 and status["jobs"][0]["inserted"] == 1
    posts = crm.get("posts", params={"$filter": f"_regardingobjectid_value eq {crm_id}"})
    assert [p["text"] for p in posts.json()["value"]] == ["Order status changed to Released."]

    off = _ok(api.put("/api/v1/connection", json={"sales_order_integration": False}))
    assert off["features"]["sales_order_integration"] is False
    assert crm.get("organizations").json()["value"][0]["issopintegrationenabled"] is False
