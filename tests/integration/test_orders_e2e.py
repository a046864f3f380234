"""Lead-to-cash, first part: a submitted CRM order becomes an ERP sales order (§5.2)."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import SETUP, Systems
from tests.integration.crm_documents import crm_document
from tests.integration.test_sync_e2e import cli


def _synced(systems: Systems) -> dict[str, Any]:
    """An ERP customer and item, synchronized to the CRM."""
    erp = systems.erp
    erp.create("customers", {"displayName": "Adatum Corporation", "city": "Atlanta"})
    erp.create("items", {"displayName": "Touring Bike", "unitPrice": 1200})
    cli(systems, "setup", *SETUP, "--enable")
    cli(systems, "full-sync", "--start")
    crm = systems.crm
    account = crm.get("accounts", params={"$filter": "name eq 'Adatum Corporation'"}).json()[
        "value"
    ][0]
    product = crm.get("products", params={"$filter": "name eq 'Touring Bike'"}).json()["value"][0]
    return {"account": account, "product": product}


def _order(
    systems: Systems, s: dict[str, Any], *, lines: list[dict[str, Any]], **header: Any
) -> dict[str, Any]:
    header.setdefault("name", "Bikes for the spring")
    return crm_document(systems, "salesorder", s["account"]["accountid"], lines=lines, **header)


def test_submitted_order_becomes_an_erp_order_once(systems: Systems) -> None:
    s = _synced(systems)
    long_text = "Frame size 56, " * 12  # 180 characters: two comment lines continue it
    order = _order(
        systems,
        s,
        requestdeliveryby="2026-12-15",
        shipto_city="Boston",
        lines=[
            {
                "productid@odata.bind": f"/products({s['product']['productid']})",
                "quantity": 2,
                "priceperunit": 1100,
                "manualdiscountamount": 50,
                "description": long_text,
            }
        ],
    )
    listed = json.loads(cli(systems, "orders", "list", "--json"))
    assert [o["crm_id"] for o in listed] == [order["salesorderid"]]
    results = json.loads(cli(systems, "orders", "auto", "--json"))
    assert results[0]["created"] is True, results
    erp_order = systems.erp.row(f"salesOrders({results[0]['erp_id']})?$expand=salesOrderLines")
    assert erp_order["externalDocumentNumber"] == "Bikes for the spring"
    assert erp_order["yourReference"] == order["ordernumber"]
    assert erp_order["requestedDeliveryDate"] == "2026-12-15"
    assert erp_order["shipToCity"] == "Boston"
    lines = sorted(erp_order["salesOrderLines"], key=lambda x: x["sequence"])
    assert [x["lineType"] for x in lines] == ["Item", "Comment"]
    assert lines[0]["quantity"] == 2 and lines[0]["unitPrice"] == 1100
    assert lines[0]["discountAmount"] == 50
    assert lines[0]["description"] + lines[1]["description"] == long_text.strip()[:200] or (
        len(lines[0]["description"]) == 100
    )
    crm_after = systems.crm.row("salesorders", order["salesorderid"])
    assert (crm_after["statecode"], crm_after["statuscode"]) == (1, 3)
    assert crm_after["lastbackofficesubmit"]
    # Processing the same order twice creates nothing new.
    again = json.loads(cli(systems, "orders", "create", order["salesorderid"], "--json"))
    assert again[0]["created"] is False and "already coupled" in again[0]["message"]
    assert len(systems.erp.rows("salesOrders")) == 1
    assert json.loads(cli(systems, "orders", "list", "--json")) == []


def test_order_errors_name_the_cause(systems: Systems) -> None:
    s = _synced(systems)
    write_in = _order(
        systems,
        s,
        lines=[{"productdescription": "Gift wrapping", "quantity": 1, "priceperunit": 5}],
    )
    setup = systems.erp.rows("salesSetup", custom=True)[0]
    assert not setup["writeInProductNumber"]  # a fresh ERP has no write-in product
    result = json.loads(
        cli(systems, "orders", "create", write_in["salesorderid"], "--json", code=1)
    )
    assert "write-in product" in result[0]["message"]
    prospect = systems.crm.create("accounts", {"name": "Not a customer", "customertypecode": 8})
    order = systems.crm.create(
        "salesorders",
        {"name": "x", "customerid_account@odata.bind": f"/accounts({prospect['accountid']})"},
    )
    systems.crm.patch(f"salesorders({order['salesorderid']})", {"statecode": 1})
    result = json.loads(cli(systems, "orders", "create", order["salesorderid"], "--json", code=1))
    assert "not of the type customer" in result[0]["message"]
    freight = _order(
        systems,
        s,
        freightamount=25,
        lines=[{"productid@odata.bind": f"/products({s['product']['productid']})", "quantity": 1}],
    )
    setup = systems.erp.rows("salesSetup", custom=True)[0]
    r = systems.erp.patch(f"salesSetup({setup['id']})", {"freightAccountNumber": ""}, custom=True)
    assert r.status_code == 200, r.text
    result = json.loads(cli(systems, "orders", "create", freight["salesorderid"], "--json", code=1))
    assert "Freight G/L Acc. No. must have a value" in result[0]["message"]
    errors = json.loads(cli(systems, "errors", "--json"))
    assert {e["source_id"] for e in errors} >= {write_in["salesorderid"], freight["salesorderid"]}
    assert systems.erp.rows("salesOrders") == []


def test_automatic_creation_runs_as_a_job(systems: Systems) -> None:
    s = _synced(systems)
    cli(systems, "setup", "--sales-order-integration", "--auto-create-sales-orders")
    engine = systems.engine()
    try:
        entry = engine.queue.get("AUTO CREATE SALES ORDERS")
        assert entry is not None and entry.status.value == "on-hold-inactivity"
        order = _order(
            systems,
            s,
            lines=[
                {"productid@odata.bind": f"/products({s['product']['productid']})", "quantity": 3}
            ],
        )
        assert "AUTO CREATE SALES ORDERS" in engine.wake_changed()
        engine.worker().run_until_idle()
        [erp_order] = systems.erp.rows("salesOrders")
        assert erp_order["yourReference"] == order["ordernumber"]
    finally:
        engine.close()
