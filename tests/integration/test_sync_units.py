"""End to end over HTTP: unit groups and units of measure of items and resources -> CRM
unit groups and units, each unit inside the CRM group of its item's unit group, and the
base unit the CRM makes for a new group coupled rather than created twice."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, enable, errors, sync


def _groups(systems: Systems) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in systems.crm.get("uomschedules").json()["value"]}


def _units(systems: Systems) -> dict[tuple[str, str], dict[str, Any]]:
    names = {g["uomscheduleid"]: n for n, g in _groups(systems).items()}
    rows = systems.crm.get("uoms").json()["value"]
    return {(names[u["_uomscheduleid_value"]], u["name"]): u for u in rows}


def test_units_follow_their_groups(systems: Systems) -> None:
    erp = systems.erp
    known = {u["code"]: u for u in erp.rows("unitsOfMeasure")}
    for code in ("PCS", "BOX", "HOUR"):
        if code not in known:
            known[code] = erp.create("unitsOfMeasure", {"code": code, "displayName": code})
    pcs, box, hour = known["PCS"], known["BOX"], known["HOUR"]
    bike = erp.create(
        "items", {"number": "1000", "displayName": "Bike", "baseUnitOfMeasureId": pcs["id"]}
    )
    erp.create(
        "itemUnitsOfMeasure",
        {"itemId": bike["id"], "unitOfMeasureId": box["id"], "quantityPerUnitOfMeasure": 6},
        custom=True,
    )
    erp.create(
        "resources",
        {"number": "R1", "displayName": "Fitter", "baseUnitOfMeasureId": hour["id"]},
        custom=True,
    )
    enable(systems)

    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, errors(systems))

    groups = _groups(systems)
    assert {"ITEM-1000", "RESOURCE-R1"} <= set(groups)
    assert groups["ITEM-1000"]["baseuomname"] == "PCS"
    units = _units(systems)
    # One unit per ERP unit, the base unit the CRM made coupled instead of duplicated.
    assert sorted(k for k in units if k[0] in ("ITEM-1000", "RESOURCE-R1")) == [
        ("ITEM-1000", "BOX"),
        ("ITEM-1000", "PCS"),
        ("RESOURCE-R1", "HOUR"),
    ]
    assert units[("ITEM-1000", "PCS")]["isschedulebaseuom"] is True
    assert float(units[("ITEM-1000", "BOX")]["quantity"]) == 6
    assert float(units[("RESOURCE-R1", "HOUR")]["quantity"]) == 1
    assert not errors(systems)

    # A changed quantity arrives in the CRM on the next run, and only once.
    (box_unit,) = [u for u in erp.rows("itemUnitsOfMeasure", custom=True) if u["code"] == "BOX"]
    erp.patch(
        f"itemUnitsOfMeasure({box_unit['id']})", {"quantityPerUnitOfMeasure": 12}, custom=True
    )
    job = sync(systems, "ITEM UOM")["erp-to-crm"]
    assert (job["modified"], job["inserted"], job["failed"]) == (1, 0, 0)
    assert float(_units(systems)[("ITEM-1000", "BOX")]["quantity"]) == 12
    assert sync(systems, "ITEM UOM")["erp-to-crm"]["modified"] == 0
