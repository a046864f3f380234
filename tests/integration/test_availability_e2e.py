"""End to end over HTTP: the item availability job (docs/behaviour.md §8) pushes the
ERP inventory of coupled items with new ledger activity to the CRM products, negative stock
as 0, through the CLI, the REST API and the scheduled job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli, cli_json, engine_api, errors, set_mapping, sync


def _item(systems: Systems, number: str) -> dict[str, Any]:
    erp = systems.erp
    units = {u["code"]: u for u in erp.rows("unitsOfMeasure")}
    pcs = units.get("PCS") or erp.create("unitsOfMeasure", {"code": "PCS", "displayName": "PCS"})
    return erp.create(
        "items",
        {
            "number": number,
            "displayName": f"Bike {number}",
            "type": "Inventory",
            "baseUnitOfMeasureId": pcs["id"],
        },
    )


def _stock(systems: Systems, item: dict[str, Any], quantity: int) -> None:
    systems.erp.create("itemAdjustments", {"itemId": item["id"], "quantity": quantity}, custom=True)


def _on_hand(systems: Systems) -> dict[str, float]:
    rows = systems.crm.get("products").json()["value"]
    return {p["productnumber"]: float(p["quantityonhand"] or 0) for p in rows}


def test_inventory_reaches_coupled_products(systems: Systems) -> None:
    bike, other = _item(systems, "1000"), _item(systems, "2000")
    cli(systems, "setup", *SETUP, "--item-availability", "--enable")
    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    assert not [r for r in done if r["status"] == "error"], errors(systems)
    assert _on_hand(systems) == {"1000": 0, "2000": 0}
    cli(systems, "uncouple", "ITEM-PRODUCT", "--erp-id", other["id"])

    # Stock moves without the item changing: ITEM-PRODUCT's own run does not see it.
    _stock(systems, bike, 7)
    _stock(systems, other, 3)
    assert sync(systems, "ITEM-PRODUCT")["erp-to-crm"]["modified"] == 0
    job = cli_json(systems, "availability", "update")
    assert (job["mapping"], job["modified"], job["failed"]) == ("ITEM-PRODUCT", 1, 0)
    assert _on_hand(systems) == {"1000": 7, "2000": 0}  # the uncoupled item is left alone
    # Nothing new since: nothing to do.
    assert cli_json(systems, "availability", "update") is None

    # Negative stock arrives as 0, through the REST API this time.
    _stock(systems, bike, -20)
    with engine_api(systems) as http:
        answer = http.post("/api/v1/availability/update")
        assert answer.status_code == 200, answer.text
        assert answer.json()["job"]["modified"] == 1
    assert _on_hand(systems)["1000"] == 0
    assert systems.erp.rows("items", **{"$filter": "number eq '1000'"})[0]["inventory"] == -13


def test_the_scheduled_job_wakes_on_ledger_activity(systems: Systems) -> None:
    bike = _item(systems, "1000")
    cli(systems, "setup", *SETUP, "--item-availability", "--enable")
    cli(systems, "full-sync", "--start")
    engine = systems.engine()
    try:
        entry = engine.queue.get("ITEM AVAILABILITY")
        assert entry is not None and entry.kind == "availability"
        assert "ITEM AVAILABILITY" not in engine.wake_changed()  # no activity yet
        _stock(systems, bike, 5)
        assert "ITEM AVAILABILITY" in engine.wake_changed()
        woken = engine.queue.get("ITEM AVAILABILITY")
        assert woken is not None
        outcome = engine.run_entry(woken)
        assert outcome.idle is False
        assert _on_hand(systems)["1000"] == 5
        assert "ITEM AVAILABILITY" not in engine.wake_changed()
    finally:
        engine.close()
    # Switching the feature off removes the job.
    cli(systems, "setup", "--no-item-availability")
    engine = systems.engine()
    try:
        assert engine.queue.get("ITEM AVAILABILITY") is None
    finally:
        engine.close()


def test_enabling_availability_restores_the_inventory_field(
    systems: Systems, tmp_path: Path
) -> None:
    cli(systems, "setup", *SETUP, "--enable")
    shown = cli_json(systems, "mappings", "show", "ITEM-PRODUCT")
    fields = [f for f in shown["fields"] if f["crm"] != "quantityonhand"]
    set_mapping(systems, tmp_path, "ITEM-PRODUCT", fields=fields)
    shown = cli_json(systems, "mappings", "show", "ITEM-PRODUCT")
    assert not [f for f in shown["fields"] if f["crm"] == "quantityonhand"]
    cli(systems, "setup", "--item-availability")
    shown = cli_json(systems, "mappings", "show", "ITEM-PRODUCT")
    [field] = [f for f in shown["fields"] if f["crm"] == "quantityonhand"]
    assert (field["erp"], field["direction"]) == ("inventory", "erp-to-crm")


def _service_tx(client: Any) -> Any:
    from couplet.apps._common.records import SYSTEM, Tx

    service = client.http.app.state.service
    return service, lambda conn: Tx(conn, service.model, SYSTEM, service.rules, service.clock)


def test_crm_users_with_the_role_ask_the_erp_for_availability(systems: Systems) -> None:
    from couplet.apps.crm.app import ensure_application_user
    from couplet.apps.erp.security import READ, ensure_api_user

    erp, crm = systems.erp, systems.crm
    bike = _item(systems, "1000")
    units = {u["code"]: u for u in erp.rows("unitsOfMeasure")}
    box = units.get("BOX") or erp.create("unitsOfMeasure", {"code": "BOX", "displayName": "Box"})
    erp.create(
        "itemUnitsOfMeasure",
        {"itemId": bike["id"], "unitOfMeasureId": box["id"], "quantityPerUnitOfMeasure": 6},
        custom=True,
    )
    _stock(systems, bike, 30)
    service, tx = _service_tx(erp)
    with service.transactions.begin() as conn:
        ensure_api_user(tx(conn), "crm-reader", "reader-pw", READ)  # a read-only ERP client
    service, tx = _service_tx(crm)
    with service.transactions.begin() as conn:
        ensure_application_user(tx(conn), "seller", "pw", "seller", ["Salesperson"])
        ensure_application_user(
            tx(conn), "checker", "pw", "checker", ["Salesperson", "Product Availability User"]
        )
    seller, checker = crm.as_client("seller", "pw"), crm.as_client("checker", "pw")
    ask = "nav_GetItemAvailability(ProductNumber='1000')"

    cli(systems, "setup", *SETUP, "--enable")
    cli(systems, "full-sync", "--start")
    # Publishing needs the feature; before, the CRM says the connection is not set up.
    cli(
        systems,
        "availability",
        "publish",
        "--client-id",
        "crm-reader",
        "--client-secret",
        "reader-pw",
        code=2,
    )
    assert checker.get(ask).status_code == 409
    cli(systems, "setup", "--item-availability")
    cli(
        systems,
        "availability",
        "publish",
        "--client-id",
        "crm-reader",
        "--client-secret",
        "reader-pw",
    )
    [connection] = crm.get("nav_connections").json()["value"]
    assert connection["nav_dynamicsnavodataurl"].endswith("/itemAvailability")
    assert connection["nav_dynamicsnavodatausername"] == "crm-reader"

    assert seller.get(ask).status_code == 403  # a salesperson without the role
    answer = checker.get(ask)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ProductNumber"], body["UnitOfMeasure"]) == ("1000", "PCS")
    assert (body["Inventory"], body["AvailableInventory"]) == (30, 30)
    # In boxes of six, with the product number as a parameter alias.
    boxes = checker.get(
        "nav_GetItemAvailability(ProductNumber=@p,UnitOfMeasure='BOX')", params={"@p": "'1000'"}
    ).json()
    assert (boxes["UnitOfMeasure"], boxes["Inventory"]) == ("BOX", 5)
    assert checker.get("nav_GetItemAvailability(ProductNumber='nope')").status_code == 404
    unknown_unit = checker.get("nav_GetItemAvailability(ProductNumber='1000',UnitOfMeasure='KG')")
    assert unknown_unit.status_code == 400
    # A wrong credential in the BC Connection is the ERP's refusal, not a CRM crash.
    cli(systems, "availability", "publish", "--client-id", "crm-reader", "--client-secret", "bad")
    assert checker.get(ask).status_code == 502
