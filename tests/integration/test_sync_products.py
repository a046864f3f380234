"""End to end over HTTP: items and resources as CRM products (docs/behaviour.md §1.2
ITEM-PRODUCT, RESOURCE-PRODUCT): the default unit and unit group from the base unit,
blocked <-> retired both ways, no negative price or stock; and units added after the full
synchronization reaching the CRM by scheduled runs, their price lines after them."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, enable, errors, sync


def _unit(systems: Systems, code: str) -> dict[str, Any]:
    known = {u["code"]: u for u in systems.erp.rows("unitsOfMeasure")}
    return known.get(code) or systems.erp.create(
        "unitsOfMeasure", {"code": code, "displayName": code}
    )


def _products(systems: Systems) -> dict[str, dict[str, Any]]:
    return {p["productnumber"]: p for p in systems.crm.get("products").json()["value"]}


def _crm_units(systems: Systems) -> dict[tuple[str, str], dict[str, Any]]:
    groups = {
        g["uomscheduleid"]: g["name"] for g in systems.crm.get("uomschedules").json()["value"]
    }
    return {
        (groups[u["_uomscheduleid_value"]], u["name"]): u
        for u in systems.crm.get("uoms").json()["value"]
    }


def _full_sync(systems: Systems) -> None:
    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, errors(systems))


def test_products_get_units_state_and_no_negatives(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    pcs, hour = _unit(systems, "PCS"), _unit(systems, "HOUR")
    bike = erp.create(
        "items",
        {
            "number": "1000",
            "displayName": "Bike",
            "baseUnitOfMeasureId": pcs["id"],
            "unitPrice": 450,
            "type": "Inventory",
        },
    )
    # Negative inventory is allowed in the ERP (Business Central's default).
    erp.create("itemAdjustments", {"itemId": bike["id"], "quantity": -3}, custom=True)
    fitter = erp.create(
        "resources",
        {"number": "R1", "displayName": "Fitter", "baseUnitOfMeasureId": hour["id"]},
        custom=True,
    )
    enable(systems)
    _full_sync(systems)

    products, units = _products(systems), _crm_units(systems)
    groups = {g["name"]: g for g in crm.get("uomschedules").json()["value"]}
    product = products["1000"]
    assert product["_defaultuomid_value"] == units[("ITEM-1000", "PCS")]["uomid"]
    assert product["_defaultuomscheduleid_value"] == groups["ITEM-1000"]["uomscheduleid"]
    assert float(product["price"]) == 450
    assert float(product["quantityonhand"]) == 0  # negative stock arrives as 0
    assert product["statecode"] == 0
    service = products["R1"]
    assert service["_defaultuomid_value"] == units[("RESOURCE-R1", "HOUR")]["uomid"]

    # Blocking the item retires its product (a blocked item is out of the scheduled
    # filter, so it goes by hand); unblocking activates it again on the scheduled run.
    erp.patch(f"items({bike['id']})", {"blocked": True})
    cli(systems, "sync", "ITEM-PRODUCT", "--erp-id", bike["id"], "--direction", "erp-to-crm")
    assert _products(systems)["1000"]["statecode"] == 1
    assert _products(systems)["1000"]["statuscode"] == 2
    erp.patch(f"items({bike['id']})", {"blocked": False})
    assert sync(systems, "ITEM-PRODUCT")["erp-to-crm"]["modified"] == 1
    assert _products(systems)["1000"]["statecode"] == 0

    # Retiring the product blocks the item; activating it unblocks it on the scheduled run.
    crm.patch(f"products({product['productid']})", {"statecode": 1})
    cli(
        systems,
        "sync",
        "ITEM-PRODUCT",
        "--crm-id",
        product["productid"],
        "--direction",
        "crm-to-erp",
    )
    assert erp.get(f"items({bike['id']})").json()["blocked"] is True
    crm.patch(f"products({product['productid']})", {"statecode": 0})
    assert sync(systems, "ITEM-PRODUCT")["crm-to-erp"]["modified"] == 1
    assert erp.get(f"items({bike['id']})").json()["blocked"] is False

    # The same for resources.
    erp.patch(f"resources({fitter['id']})", {"blocked": True}, custom=True)
    cli(systems, "sync", "RESOURCE-PRODUCT", "--erp-id", fitter["id"], "--direction", "erp-to-crm")
    assert _products(systems)["R1"]["statecode"] == 1
    assert not errors(systems)


def test_a_unit_added_later_reaches_the_crm_and_its_price_follows(systems: Systems) -> None:
    erp = systems.erp
    pcs, box, pallet = _unit(systems, "PCS"), _unit(systems, "BOX"), _unit(systems, "PALLET")
    bike = erp.create(
        "items", {"number": "1000", "displayName": "Bike", "baseUnitOfMeasureId": pcs["id"]}
    )
    retail = erp.create(
        "priceLists",
        {"code": "RETAIL", "priceType": "Sale", "amountType": "Price", "status": "Active"},
        custom=True,
    )
    erp.create(
        "priceListLines",
        {"priceListId": retail["id"], "assetType": "Item", "assetNumber": "1000", "unitPrice": 10},
        custom=True,
    )
    enable(systems)
    _full_sync(systems)
    assert set(k for k in _crm_units(systems) if k[0] == "ITEM-1000") == {("ITEM-1000", "PCS")}

    # A unit added after the full synchronization: the scheduled ITEM UOM run creates it.
    erp.create(
        "itemUnitsOfMeasure",
        {"itemId": bike["id"], "unitOfMeasureId": box["id"], "quantityPerUnitOfMeasure": 6},
        custom=True,
    )
    job = sync(systems, "ITEM UOM")["erp-to-crm"]
    assert (job["inserted"], job["failed"]) == (1, 0)
    assert float(_crm_units(systems)[("ITEM-1000", "BOX")]["quantity"]) == 6
    assert sync(systems, "ITEM UOM")["erp-to-crm"]["inserted"] == 0

    # Another one priced at once: the price line's run creates the unit on the fly.
    erp.create(
        "itemUnitsOfMeasure",
        {"itemId": bike["id"], "unitOfMeasureId": pallet["id"], "quantityPerUnitOfMeasure": 120},
        custom=True,
    )
    for code, price in (("BOX", 55), ("PALLET", 1000)):
        erp.create(
            "priceListLines",
            {
                "priceListId": retail["id"],
                "assetType": "Item",
                "assetNumber": "1000",
                "unitOfMeasureCode": code,
                "unitPrice": price,
            },
            custom=True,
        )
    job = sync(systems, "PLLINE-PRODPRICE")["erp-to-crm"]
    assert (job["inserted"], job["failed"]) == (2, 0), errors(systems)
    units = _crm_units(systems)
    prices = {
        r["_uomid_value"]: float(r["amount"])
        for r in systems.crm.get("productpricelevels").json()["value"]
    }
    assert prices[units[("ITEM-1000", "BOX")]["uomid"]] == 55
    assert prices[units[("ITEM-1000", "PALLET")]["uomid"]] == 1000
    # A new item's group and units arrive too, on the scheduled runs in dependency order.
    erp.create(
        "items", {"number": "2000", "displayName": "Helmet", "baseUnitOfMeasureId": pcs["id"]}
    )
    cli(systems, "sync")
    assert ("ITEM-2000", "PCS") in _crm_units(systems)
    assert not errors(systems)
