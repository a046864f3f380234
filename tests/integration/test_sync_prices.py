"""End to end over HTTP: sales price lists and their item prices -> CRM price lists and
price list items, with the price list, product and unit translated through couplings."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, enable, errors, sync
from tests.integration.units import item_with_box


def _levels(systems: Systems) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in systems.crm.get("pricelevels").json()["value"]}


def _items(systems: Systems, level: dict[str, Any]) -> dict[str, dict[str, Any]]:
    units = {u["uomid"]: u["name"] for u in systems.crm.get("uoms").json()["value"]}
    rows = systems.crm.get("productpricelevels").json()["value"]
    return {
        units[r["_uomid_value"]]: r
        for r in rows
        if r["_pricelevelid_value"] == level["pricelevelid"]
    }


def test_sales_prices_reach_the_crm(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    item_with_box(erp, "1000", "Bike")
    sales = erp.create(
        "priceLists",
        {
            "code": "RETAIL",
            "displayName": "Retail prices",
            "priceType": "Sale",
            "amountType": "Price",
            "startingDate": "2026-01-01",
        },
        custom=True,
    )
    purchase = erp.create(
        "priceLists",
        {"code": "SUPPLIER", "priceType": "Purchase", "amountType": "Price"},
        custom=True,
    )
    line = erp.create(
        "priceListLines",
        {"priceListId": sales["id"], "assetType": "Item", "assetNumber": "1000", "unitPrice": 100},
        custom=True,
    )
    erp.create(
        "priceListLines",
        {
            "priceListId": sales["id"],
            "assetType": "Item",
            "assetNumber": "1000",
            "unitOfMeasureCode": "BOX",
            "unitPrice": 550,
        },
        custom=True,
    )
    assert purchase["code"] == "SUPPLIER"
    enable(systems)

    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, errors(systems))
    assert not errors(systems)

    levels = _levels(systems)
    assert "SUPPLIER" not in levels  # purchase prices stay in the ERP
    retail = levels["RETAIL"]
    assert retail["description"] == "Retail prices"
    assert retail["begindate"].startswith("2026-01-01")
    assert retail["_transactioncurrencyid_value"]  # blank ERP currency: the local one
    products = {p["productnumber"]: p for p in crm.get("products").json()["value"]}
    items = _items(systems, retail)
    assert set(items) == {"PCS", "BOX"}
    assert {i["_productid_value"] for i in items.values()} == {products["1000"]["productid"]}
    assert (float(items["PCS"]["amount"]), float(items["BOX"]["amount"])) == (100, 550)
    assert items["PCS"]["productnumber"] == "1000"
    assert items["PCS"]["pricingmethodcode"] == 1

    # Changed prices and a renamed list arrive on the next runs: a synchronized price
    # list takes its lines along, so the lines' own run then finds nothing to do.
    erp.patch(f"priceListLines({line['id']})", {"unitPrice": 120}, custom=True)
    erp.patch(f"priceLists({sales['id']})", {"displayName": "Retail 2026"}, custom=True)
    header = sync(systems, "PLHEADER-PRICE")["erp-to-crm"]
    assert (header["modified"], header["failed"]) == (1, 0)
    retail = _levels(systems)["RETAIL"]
    assert retail["description"] == "Retail 2026"
    assert float(_items(systems, retail)["PCS"]["amount"]) == 120
    lines = sync(systems, "PLLINE-PRODPRICE")["erp-to-crm"]
    assert (lines["modified"], lines["inserted"], lines["failed"]) == (0, 0, 0)
    # A changed line alone arrives through the lines' run.
    erp.patch(f"priceListLines({line['id']})", {"unitPrice": 125}, custom=True)
    lines = sync(systems, "PLLINE-PRODPRICE")["erp-to-crm"]
    assert (lines["modified"], lines["inserted"], lines["failed"]) == (1, 0, 0)
    assert float(_items(systems, _levels(systems)["RETAIL"])["PCS"]["amount"]) == 125
