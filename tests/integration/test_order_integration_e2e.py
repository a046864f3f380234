"""Sales order integration end to end over HTTP (§5.1-§5.3): switching it on and off, units on
order lines, the released ERP order back in the CRM, timeline posts, Invoiced, notes."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli, cli_json, errors
from tests.integration.test_orders_e2e import _order, _synced
from tests.integration.units import item_with_box


def _flag(systems: Systems) -> bool:
    return bool(systems.crm.get("organizations").json()["value"][0]["issopintegrationenabled"])


def _mappings(systems: Systems) -> set[str]:
    return {m["name"] for m in cli_json(systems, "mappings", "list")}


def _queue(systems: Systems) -> set[str]:
    engine = systems.engine()
    try:
        return {e.name for e in engine.queue.entries()}
    finally:
        engine.close()


def _bike_line(s: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"productid@odata.bind": f"/products({s['product']['productid']})", **more}


def _posts(systems: Systems, regarding: str) -> list[str]:
    rows = systems.crm.get(
        "posts", params={"$filter": f"_regardingobjectid_value eq {regarding}"}
    ).json()["value"]
    return sorted(r["text"] for r in rows)


def test_switching_order_integration_on_and_off(systems: Systems) -> None:
    s = _synced(systems)
    assert not _flag(systems) and "SALESORDER-ORDER" not in _mappings(systems)
    cli(systems, "setup", "--sales-order-integration", "--auto-create-sales-orders")
    assert _flag(systems)
    assert "SALESORDER-ORDER" in _mappings(systems)
    assert {"SALESORDER-ORDER", "SALES ORDER STATUS", "SALES ORDER NOTES"} <= _queue(systems)

    order = _order(systems, s, lines=[_bike_line(s, quantity=1)])
    refused = cli(systems, "setup", "--no-sales-order-integration", code=2)
    assert "cannot be switched off" in refused and order["ordernumber"] in refused
    assert _flag(systems) and "SALESORDER-ORDER" in _mappings(systems)

    cli(systems, "orders", "create", order["salesorderid"])
    cli(systems, "setup", "--no-sales-order-integration")
    assert not _flag(systems)
    assert "SALESORDER-ORDER" not in _mappings(systems)
    queue = _queue(systems)
    assert not {"SALESORDER-ORDER", "SALES ORDER STATUS", "AUTO CREATE SALES ORDERS"} & queue
    shown = cli_json(systems, "setup", "--show")
    assert shown["features"]["auto_create_sales_orders"] is False


def test_enabling_a_new_connection_with_order_integration_sets_the_flag(
    systems: Systems,
) -> None:
    cli(systems, "setup", *SETUP, "--sales-order-integration", "--enable")
    assert _flag(systems)
    assert "SALESORDER-ORDER" in _mappings(systems)


def _units(systems: Systems) -> dict[str, Any]:
    """An item with a base unit PCS and a second unit BOX, synchronized (unit-group mode)."""
    item_with_box(systems.erp, "1000", "Crate Bike")
    s = _synced(systems)
    s["product"] = systems.crm.get(
        "products", params={"$filter": "productnumber eq '1000'"}
    ).json()["value"][0]
    return s


def test_order_line_units_come_through_unit_couplings(systems: Systems) -> None:
    s = _units(systems)
    crm = systems.crm
    group = crm.get("uomschedules", params={"$filter": "name eq 'ITEM-1000'"}).json()["value"][0]
    units = {
        u["name"]: u
        for u in crm.get(
            "uoms", params={"$filter": f"_uomscheduleid_value eq {group['uomscheduleid']}"}
        ).json()["value"]
    }
    assert {"PCS", "BOX"} <= set(units)
    box = units["BOX"]["uomid"]
    order = _order(
        systems, s, lines=[_bike_line(s, quantity=2, **{"uomid@odata.bind": f"/uoms({box})"})]
    )
    [result] = cli_json(systems, "orders", "create", order["salesorderid"])
    assert result["created"], result
    lines = systems.erp.rows(f"salesOrders({result['erp_id']})/salesOrderLines")
    assert [(x["unitOfMeasureCode"], x["quantity"]) for x in lines] == [("BOX", 2)]

    # A CRM unit that no ERP unit is coupled to: the order is refused, naming the unit.
    crate = crm.create(
        "uoms",
        {
            "name": "CRATE",
            "quantity": 12,
            "uomscheduleid@odata.bind": f"/uomschedules({group['uomscheduleid']})",
            "baseuom@odata.bind": f"/uoms({units['PCS']['uomid']})",
        },
    )
    bad = _order(
        systems,
        s,
        lines=[_bike_line(s, quantity=1, **{"uomid@odata.bind": f"/uoms({crate['uomid']})"})],
    )
    [refused] = cli_json(systems, "orders", "create", bad["salesorderid"], code=1)
    assert "CRATE is not coupled" in refused["message"], refused
    assert len(systems.erp.rows("salesOrders")) == 1


def _created(systems: Systems, s: dict[str, Any], **header: Any) -> tuple[dict[str, Any], str]:
    cli(systems, "setup", "--sales-order-integration")
    order = _order(systems, s, lines=[_bike_line(s, quantity=2, priceperunit=1000)], **header)
    [result] = cli_json(systems, "orders", "create", order["salesorderid"])
    assert result["created"], result
    return systems.crm.row("salesorders", order["salesorderid"]), result["erp_id"]


def _act(systems: Systems, erp_id: str, action: str) -> None:
    r = systems.erp.action(f"salesOrders({erp_id})/Microsoft.NAV.{action}", custom=True)
    assert r.status_code == 204, r.text


def test_released_order_flows_back_and_invoicing_marks_it_invoiced(systems: Systems) -> None:
    s = _synced(systems)
    crm = systems.crm
    order, erp_id = _created(systems, s, requestdeliveryby="2026-10-01")
    crm_id = order["salesorderid"]
    # Open ERP orders are not synchronized: nothing goes back yet.
    r = systems.erp.patch(
        f"salesOrders({erp_id})", {"requestedDeliveryDate": "2026-11-20", "discountAmount": 100}
    )
    assert r.status_code == 200, r.text
    assert cli_json(systems, "sync", "SALESORDER-ORDER")[0]["modified"] == 0
    assert crm.row("salesorders", crm_id)["requestdeliveryby"] == "2026-10-01"

    _act(systems, erp_id, "release")
    [job] = cli_json(systems, "sync", "SALESORDER-ORDER")
    assert (job["modified"], job["failed"]) == (1, 0), errors(systems)
    back = crm.row("salesorders", crm_id)
    assert back["requestdeliveryby"] == "2026-11-20"
    assert float(back["discountamount"]) == 100
    assert float(back["totalamountlessfreight"]) == 1900  # the CRM's totals follow
    # Still submitted, its own number and submit date kept.
    assert (back["statecode"], back["statuscode"]) == (1, 3)
    assert back["ordernumber"] == order["ordernumber"]
    assert back["submitdate"] == order["submitdate"]

    status = cli_json(systems, "orders", "status")
    assert status[0]["inserted"] == 1
    assert _posts(systems, crm_id) == ["Order status changed to Released."]

    _act(systems, erp_id, "postShipment")
    cli(systems, "sync", "SALESORDER-ORDER")
    shipped = crm.row("salesorders", crm_id)
    assert shipped["datefulfilled"] and (shipped["statecode"], shipped["statuscode"]) == (1, 3)
    [shipment] = systems.erp.rows("salesShipments")
    cli(systems, "orders", "status")
    assert f"A shipment ({shipment['number']}) has been created for the order." in _posts(
        systems, crm_id
    )
    assert crm.row("salesorders", crm_id)["statecode"] == 1  # shipping is not invoicing

    _act(systems, erp_id, "postInvoice")
    assert systems.erp.rows("salesOrders") == []  # fully invoiced: the ERP deletes it
    [invoice] = systems.erp.rows("salesInvoices")
    status = cli_json(systems, "orders", "status")
    assert (status[0]["inserted"], status[0]["modified"], status[0]["failed"]) == (3, 1, 0)
    invoiced = crm.row("salesorders", crm_id)
    assert (invoiced["statecode"], invoiced["statuscode"]) == (4, 100003)
    assert f"An invoice ({invoice['number']}) has been created for the order." in _posts(
        systems, crm_id
    )
    account = s["account"]["accountid"]
    number = order["ordernumber"]
    assert _posts(systems, account) == sorted(
        [
            f"Invoice '{invoice['number']}' for order '{number}' has been posted in "
            "Business Central.",
            f"Order '{number}' has been posted in Business Central.",
        ]
    )
    # Once: running the job again posts nothing and changes nothing.
    before = (_posts(systems, crm_id), _posts(systems, account))
    again = cli_json(systems, "orders", "status")
    assert [(j["inserted"], j["modified"], j["failed"]) for j in again] == [(0, 0, 0), (0, 0, 0)]
    assert (_posts(systems, crm_id), _posts(systems, account)) == before


def test_partial_invoice_keeps_the_order_submitted(systems: Systems) -> None:
    s = _synced(systems)
    order, erp_id = _created(systems, s)
    [line] = systems.erp.rows(f"salesOrders({erp_id})/salesOrderLines")
    r = systems.erp.patch(
        f"salesOrderLines({line['id']})", {"shipQuantity": 1, "invoiceQuantity": 1}
    )
    assert r.status_code == 200, r.text
    _act(systems, erp_id, "shipAndInvoice")
    status = cli_json(systems, "orders", "status")
    assert status[0]["modified"] == 0
    still = systems.crm.row("salesorders", order["salesorderid"])
    assert (still["statecode"], still["statuscode"]) == (1, 3)


def _notes(systems: Systems, erp_id: str) -> list[dict[str, Any]]:
    return systems.erp.rows("notes", custom=True, **{"$filter": f"parentId eq {erp_id}"})


def _annotations(systems: Systems, crm_id: str) -> list[dict[str, Any]]:
    return list(
        systems.crm.get("annotations", params={"$filter": f"_objectid_value eq {crm_id}"}).json()[
            "value"
        ]
    )


def test_notes_go_both_ways_once(systems: Systems) -> None:
    s = _synced(systems)
    order, erp_id = _created(systems, s)
    crm_id = order["salesorderid"]
    note = systems.crm.create(
        "annotations",
        {
            "subject": "Gate code",
            "notetext": "Deliver at gate 4",
            "objectid_salesorder@odata.bind": f"/salesorders({crm_id})",
        },
    )
    systems.crm.create(
        "annotations",
        {
            "subject": "Signed contract",
            "isdocument": True,
            "filename": "contract.pdf",
            "filesize": 3,
            "documentbody": "YWJj",
            "objectid_salesorder@odata.bind": f"/salesorders({crm_id})",
        },
    )
    systems.erp.create(
        "notes",
        {"parentType": "Sales Order", "parentId": erp_id, "title": "Credit", "note": "Checked"},
        custom=True,
    )
    notes = cli_json(systems, "orders", "status")[1]
    assert (notes["inserted"], notes["failed"]) == (2, 0), errors(systems)
    erp_notes = {n["title"]: n["note"] for n in _notes(systems, erp_id)}
    assert erp_notes == {"Gate code": "Deliver at gate 4", "Credit": "Checked"}
    crm_notes = {a["subject"]: a["notetext"] for a in _annotations(systems, crm_id)}
    assert crm_notes["Credit"] == "Checked" and len(crm_notes) == 3

    # No echo: nothing comes back, nothing is copied twice.
    assert cli_json(systems, "orders", "status")[1]["inserted"] == 0
    assert len(_notes(systems, erp_id)) == 2 and len(_annotations(systems, crm_id)) == 3

    # A note changed in the CRM changes its ERP copy.
    r = systems.crm.patch(f"annotations({note['annotationid']})", {"notetext": "Gate 5 now"})
    assert r.status_code == 204, r.text
    assert cli_json(systems, "orders", "status")[1]["modified"] == 1
    assert {n["title"]: n["note"] for n in _notes(systems, erp_id)}["Gate code"] == "Gate 5 now"
    assert cli_json(systems, "orders", "status")[1]["modified"] == 0


def test_scheduled_jobs_bring_a_release_to_the_crm(systems: Systems) -> None:
    s = _synced(systems)
    order, erp_id = _created(systems, s)
    r = systems.erp.patch(f"salesOrders({erp_id})", {"requestedDeliveryDate": "2026-09-09"})
    assert r.status_code == 200, r.text
    _act(systems, erp_id, "release")
    engine = systems.engine()
    try:
        assert "SALES ORDER STATUS" in engine.wake_changed()
        engine.worker().run_until_idle()
        # Nothing changed since: the status job finds no work and stays asleep.
        assert "SALES ORDER STATUS" not in engine.wake_changed()
    finally:
        engine.close()
    crm_id = order["salesorderid"]
    assert _posts(systems, crm_id) == ["Order status changed to Released."]
    assert systems.crm.row("salesorders", crm_id)["requestdeliveryby"] == "2026-09-09"
