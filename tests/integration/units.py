"""ERP test data shared by the unit-group tests: an item with a base unit and a second unit."""

from __future__ import annotations

from typing import Any

from tests.helpers import ErpClient


def item_with_box(erp: ErpClient, number: str, name: str) -> dict[str, Any]:
    """An item whose base unit is PCS and which also sells in BOXes of 6 (units made when
    the ERP lacks them)."""
    known = {u["code"]: u for u in erp.rows("unitsOfMeasure")}
    for code in ("PCS", "BOX"):
        if code not in known:
            known[code] = erp.create("unitsOfMeasure", {"code": code, "displayName": code})
    item = erp.create(
        "items",
        {"number": number, "displayName": name, "baseUnitOfMeasureId": known["PCS"]["id"]},
    )
    erp.create(
        "itemUnitsOfMeasure",
        {
            "itemId": item["id"],
            "unitOfMeasureId": known["BOX"]["id"],
            "quantityPerUnitOfMeasure": 6,
        },
        custom=True,
    )
    return item
