"""The catalogue: items and resources with their unit groups and units of measure, G/L
accounts, and price lists.

In unit-group mode (Business Central's default for the Sales integration) every item and
resource has a unit group, coded "ITEM-<no.>" / "RESOURCE-<no.>", holding its units; the
base unit is always one of them with quantity 1.
"""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import d
from .blanks import insert_system
from .hooks import Hooks, Row, mark
from .references import unknown

_UNITS = {
    "item": ("itemUnitOfMeasure", "itemId", "itemNumber"),
    "resource": ("resourceUnitOfMeasure", "resourceId", "resourceNumber"),
}


def _bad(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, "Application_DialogException", target=field)


def _asset_before_insert(tx: Tx, values: Row) -> None:
    for name in ("unitPrice", "unitCost"):
        if d(values.get(name)) < 0:
            raise _bad(f"{name} must not be negative.", name)


def _asset_before_update(kind: str) -> Any:
    def hook(tx: Tx, old: Row, changes: Row) -> None:
        _asset_before_insert(tx, changes)
        if (
            kind == "item"
            and changes.get("type", old["type"]) != old["type"]
            and tx.first("itemLedgerEntry", itemId=old["id"])
        ):
            raise _bad(
                f"You cannot change the type of item {old['number']} because it has "
                "ledger entries.",
                "type",
            )

    return hook


def _asset_before_delete(kind: str) -> Any:
    def hook(tx: Tx, row: Row) -> None:
        if kind == "item" and tx.first("itemLedgerEntry", itemId=row["id"]):
            raise _bad(f"You cannot delete item {row['number']} because it has ledger entries.")
        for line in ("salesQuoteLine", "salesOrderLine", "salesInvoiceLine"):
            used = tx.first(
                line,
                lineType=kind.capitalize(),
                lineObjectNumber=row["number"],
                companyId=row["companyId"],
            )
            if used is not None:
                raise _bad(
                    f"You cannot delete {kind} {row['number']} because it is used on "
                    "an open sales document."
                )

    return hook


def _asset_after_write(kind: str) -> Any:
    units, key, number_field = _UNITS[kind]

    def hook(tx: Tx, row: Row | None, old: Row | None) -> None:
        if row is None:
            assert old is not None
            for unit in tx.find(units, **{key: old["id"]}):
                tx.delete(units, unit["id"], internal=True)
            for group in tx.find("unitGroup", sourceId=old["id"]):
                tx.delete("unitGroup", group["id"], internal=True)
            return
        group = {
            "code": f"{kind.upper()}-{row['number']}",
            "sourceType": kind.capitalize(),
            "sourceNumber": row["number"],
            "sourceName": row["displayName"],
            "baseUnitOfMeasureCode": row.get("baseUnitOfMeasureCode") or "",
        }
        existing = tx.first("unitGroup", sourceId=row["id"])
        if existing is None:
            existing = insert_system(
                tx, "unitGroup", {"companyId": row["companyId"], "sourceId": row["id"], **group}
            )
        elif any(existing[k] != v for k, v in group.items()):
            tx.update("unitGroup", existing["id"], group, internal=True)
        base = row.get("baseUnitOfMeasureCode")
        if base and tx.first(units, **{key: row["id"], "code": base}) is None:
            insert_system(
                tx,
                units,
                {
                    "companyId": row["companyId"],
                    key: row["id"],
                    number_field: row["number"],
                    "code": base,
                    "unitOfMeasureId": row.get("baseUnitOfMeasureId"),
                    "quantityPerUnitOfMeasure": 1,
                    "unitGroupId": existing["id"],
                },
            )
        if old is not None and old["number"] != row["number"]:
            for unit in tx.find(units, **{key: row["id"]}):
                tx.update(units, unit["id"], {number_field: row["number"]}, internal=True)
        if kind == "item":
            mark(tx, "items", row["id"])

    return hook


def _unit_before_write(kind: str) -> Any:
    units, key, _ = _UNITS[kind]

    def check(tx: Tx, merged: Row, own_id: str | None) -> None:
        if d(merged.get("quantityPerUnitOfMeasure")) <= 0:
            raise _bad(
                "quantityPerUnitOfMeasure must be greater than 0.", "quantityPerUnitOfMeasure"
            )
        if not merged.get(key):
            raise _bad(f"{key} is required.", key)
        clash = tx.first(units, **{key: merged[key], "code": merged.get("code")})
        if clash is not None and clash["id"] != own_id:
            raise ODataError(
                400,
                f"The unit {merged.get('code')} already exists for this {kind}.",
                "Internal_EntityWithSameKeyExists",
                target="code",
            )
        owner = tx.require(kind, merged[key])
        if (
            owner.get("baseUnitOfMeasureCode") == merged.get("code")
            and d(merged["quantityPerUnitOfMeasure"]) != 1
        ):
            raise _bad("The base unit of measure must have quantity 1.", "quantityPerUnitOfMeasure")

    def insert(tx: Tx, values: Row) -> None:
        check(tx, values, None)
        # The unit belongs to its item's (resource's) unit group, which the integration
        # follows to put the CRM unit in the right CRM unit group.
        group = tx.first("unitGroup", sourceId=values[key])
        values["unitGroupId"] = group["id"] if group is not None else None

    def update(tx: Tx, old: Row, changes: Row) -> None:
        check(tx, {**old, **changes}, old["id"])

    return Hooks(before_insert=insert, before_update=update)


def _price_line(tx: Tx, values: Row) -> None:
    price_list = tx.get("priceList", values.get("priceListId") or "")
    if price_list is None:
        raise unknown("priceListId", values.get("priceListId"), "priceLists")
    values["priceListCode"] = price_list["code"]
    values["currencyCode"] = price_list.get("currencyCode") or ""
    entity = "item" if values.get("assetType", "Item") == "Item" else "resource"
    asset = tx.first(entity, companyId=values["companyId"], number=values.get("assetNumber"))
    if asset is None:
        raise unknown("assetNumber", values.get("assetNumber"), entity + "s")
    values["assetId"] = asset["id"]
    # The asset's unit the price is for (blank code: its base unit), by id, so the
    # integration can send the price with the CRM unit coupled to it.
    units, key, _ = _UNITS[entity]
    code = values.get("unitOfMeasureCode") or asset.get("baseUnitOfMeasureCode")
    unit = tx.first(units, **{key: asset["id"], "code": code}) if code else None
    values["assetUnitOfMeasureId"] = unit["id"] if unit is not None else None
    if d(values.get("unitPrice")) < 0:
        raise _bad("unitPrice must not be negative.", "unitPrice")


def _price_line_update(tx: Tx, old: Row, changes: Row) -> None:
    merged = {**old, **changes}
    _price_line(tx, merged)
    derived = ("priceListCode", "currencyCode", "assetId", "assetUnitOfMeasureId")
    changes.update({k: merged[k] for k in derived})


def _price_list_after_write(tx: Tx, row: Row | None, old: Row | None) -> None:
    if row is None and old is not None:
        for line in tx.find("priceListLine", priceListId=old["id"]):
            tx.delete("priceListLine", line["id"], internal=True)
    elif (
        row is not None
        and old is not None
        and (row["code"] != old["code"] or row.get("currencyCode") != old.get("currencyCode"))
    ):
        for line in tx.find("priceListLine", priceListId=row["id"]):
            tx.update(
                "priceListLine",
                line["id"],
                {"priceListCode": row["code"], "currencyCode": row.get("currencyCode") or ""},
                internal=True,
            )


def _account_before_delete(tx: Tx, row: Row) -> None:
    setup = tx.first("salesSetup", companyId=row["companyId"])
    if setup is not None and setup.get("freightAccountNumber") == row["number"]:
        raise _bad(f"G/L account {row['number']} is the freight account in sales setup.")


def _sales_setup(tx: Tx, old: Row, changes: Row) -> None:
    """The write-in product and the freight account must exist (docs/behaviour.md §5.2)."""
    merged = {**old, **changes}
    number = merged.get("writeInProductNumber")
    if "writeInProductNumber" in changes or "writeInProductType" in changes:
        entity = "item" if merged.get("writeInProductType") == "Item" else "resource"
        if number and tx.first(entity, companyId=old["companyId"], number=number) is None:
            raise unknown("writeInProductNumber", number, entity + "s")
    freight = changes.get("freightAccountNumber")
    if freight and tx.first("account", companyId=old["companyId"], number=freight) is None:
        raise unknown("freightAccountNumber", freight, "accounts")
    if d(merged.get("defaultTaxPercent")) < 0:
        raise _bad("defaultTaxPercent must not be negative.", "defaultTaxPercent")


def _note(tx: Tx, values: Row) -> None:
    parents = {
        "Sales Order": "salesOrder",
        "Sales Quote": "salesQuote",
        "Sales Invoice": "salesInvoice",
        "Customer": "customer",
        "Item": "item",
    }
    parent = tx.get(parents[values.get("parentType") or "Sales Order"], values["parentId"])
    if parent is None or parent.get("companyId") != values["companyId"]:
        raise unknown("parentId", values["parentId"], f"{values.get('parentType')} records")
    values["createdDateTime"] = values.get("createdDateTime") or tx.now
    values["createdBy"] = values.get("createdBy") or tx.principal.name[:50]


HOOKS = {
    "salesSetup": Hooks(before_update=_sales_setup),
    "note": Hooks(before_insert=_note),
    "item": Hooks(
        before_insert=_asset_before_insert,
        before_update=_asset_before_update("item"),
        before_delete=_asset_before_delete("item"),
        after_write=_asset_after_write("item"),
    ),
    "resource": Hooks(
        before_insert=_asset_before_insert,
        before_update=_asset_before_update("resource"),
        before_delete=_asset_before_delete("resource"),
        after_write=_asset_after_write("resource"),
    ),
    "itemUnitOfMeasure": _unit_before_write("item"),
    "resourceUnitOfMeasure": _unit_before_write("resource"),
    "priceListLine": Hooks(before_insert=_price_line, before_update=_price_line_update),
    "priceList": Hooks(after_write=_price_list_after_write),
    "account": Hooks(before_delete=_account_before_delete),
}
