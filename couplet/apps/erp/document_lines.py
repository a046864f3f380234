"""Sales document lines: what a line sells (item, resource, G/L account or a comment),
its defaults (description, unit, price, tax), discounts, and on orders the quantities to
ship and invoice. Every change recomputes the header's totals."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import ZERO, d, line_amounts
from .documents import HEADERS, check_editable, recompute
from .hooks import Hooks, Row, mark
from .pricing import unit_price
from .references import unknown

_OBJECT_FIELDS = {"lineType", "itemId", "accountId", "lineObjectNumber"}
# On a released order, a user may still say how much to ship and invoice next.
_EDITABLE_WHEN_RELEASED = {"shipQuantity", "invoiceQuantity"}


def _bad(message: str, field: str) -> ODataError:
    return ODataError(400, message, "Application_DialogException", target=field)


def _header(tx: Tx, line_entity: str, values: Row) -> Row:
    header = tx.get(HEADERS[line_entity], values.get("documentId") or "")
    if header is None or header.get("companyId") != values.get("companyId"):
        raise unknown("documentId", values.get("documentId"), HEADERS[line_entity] + "s")
    return header


def sales_setup(tx: Tx, company_id: str) -> Row:
    setup = tx.first("salesSetup", companyId=company_id)
    return setup or {"defaultTaxPercent": ZERO}


def _resolve_object(tx: Tx, header: Row, values: Row) -> None:
    """Fills type, ids, number and the defaults that come from the thing sold."""
    company = header["companyId"]
    kind = values.get("lineType")
    number = values.get("lineObjectNumber")
    if values.get("itemId") and kind in (None, "", "Item"):
        kind, asset = "Item", tx.require("item", values["itemId"])
    elif values.get("accountId") and kind in (None, "", "Account"):
        kind, asset = "Account", tx.require("account", values["accountId"])
    elif number and kind in (None, "", "Item", "Resource", "Account"):
        kind = kind or "Item"
        entity = {"Item": "item", "Resource": "resource", "Account": "account"}[kind]
        found = tx.first(entity, companyId=company, number=number)
        if found is None:
            raise unknown("lineObjectNumber", number, entity + "s")
        asset = found
    elif kind in (None, "", "Comment"):
        values.update(
            lineType="Comment",
            itemId=None,
            accountId=None,
            lineObjectNumber="",
            quantity=ZERO,
            unitPrice=ZERO,
            unitOfMeasureCode="",
            unitOfMeasureId=None,
        )
        if not values.get("description"):
            raise _bad("A comment line needs a description.", "description")
        return
    else:
        raise _bad(
            f"Lines of type '{kind}' need itemId, accountId or lineObjectNumber.",
            "lineObjectNumber",
        )
    if asset.get("blocked"):
        raise _bad(
            f"Blocked must be equal to 'No' in {kind}: No.={asset['number']}. "
            "Current value is 'Yes'.",
            "lineObjectNumber",
        )
    if kind == "Account" and asset.get("accountType") != "Posting":
        raise _bad(f"G/L account {asset['number']} is not a posting account.", "accountId")
    values["lineType"] = kind
    values["lineObjectNumber"] = asset["number"]
    values["itemId"] = asset["id"] if kind == "Item" else None
    values["accountId"] = asset["id"] if kind == "Account" else None
    if not values.get("description"):
        values["description"] = asset.get("displayName") or ""
    if kind in ("Item", "Resource"):
        _unit(tx, kind, asset, values)
        if values.get("unitPrice") is None:
            values["unitPrice"] = unit_price(
                tx,
                header,
                kind,
                asset,
                d(values.get("quantity")),
                values.get("unitOfMeasureCode") or "",
            )


def _unit(tx: Tx, kind: str, asset: Row, values: Row) -> None:
    unit = values.get("unitOfMeasureCode") or asset.get("baseUnitOfMeasureCode") or ""
    if unit and unit != asset.get("baseUnitOfMeasureCode"):
        entity, key = (
            ("itemUnitOfMeasure", "itemId")
            if kind == "Item"
            else ("resourceUnitOfMeasure", "resourceId")
        )
        if tx.first(entity, **{key: asset["id"], "code": unit}) is None:
            raise _bad(
                f"The unit of measure {unit} is not set up for {kind.lower()} {asset['number']}.",
                "unitOfMeasureCode",
            )
    values["unitOfMeasureCode"] = unit
    if unit:
        uom = tx.first("unitOfMeasure", companyId=asset["companyId"], code=unit)
        values["unitOfMeasureId"] = uom["id"] if uom else None


def _order_quantities(merged: Row, changes: Row, creating: bool) -> None:
    quantity, shipped = d(merged.get("quantity")), d(merged.get("shippedQuantity"))
    invoiced = d(merged.get("invoicedQuantity"))
    if quantity < shipped:
        raise _bad(f"Quantity cannot be less than the shipped quantity {shipped}.", "quantity")
    if creating or "quantity" in changes or "lineType" in changes:
        changes.setdefault("shipQuantity", quantity - shipped)
    ship = d(changes.get("shipQuantity", merged.get("shipQuantity")))
    if ship < 0 or ship > quantity - shipped:
        raise _bad(f"You cannot ship more than {quantity - shipped} units.", "shipQuantity")
    if creating or {"quantity", "shipQuantity", "lineType"} & set(changes):
        changes.setdefault("invoiceQuantity", shipped + ship - invoiced)
    invoice = d(changes.get("invoiceQuantity", merged.get("invoiceQuantity")))
    if invoice < 0 or invoice > quantity - invoiced:
        raise _bad(f"You cannot invoice more than {quantity - invoiced} units.", "invoiceQuantity")


def _before_insert(line_entity: str) -> Any:
    def hook(tx: Tx, values: Row) -> None:
        header = _header(tx, line_entity, values)
        check_editable(HEADERS[line_entity], header)
        if d(values.get("quantity")) < 0:
            raise _bad("Quantity must not be negative.", "quantity")
        if not values.get("sequence"):
            table = tx.model.table(line_entity)
            top = tx.conn.execute(
                sa.select(sa.func.max(table.c.sequence)).where(table.c.documentId == header["id"])
            ).scalar()
            values["sequence"] = int(top or 0) + 10000
        _resolve_object(tx, header, values)
        _attached(tx, line_entity, values)
        if values.get("taxPercent") is None:
            comment = values["lineType"] == "Comment"
            values["taxPercent"] = (
                ZERO
                if comment
                else d(sales_setup(tx, header["companyId"]).get("defaultTaxPercent"))
            )
        values.update(line_amounts(values, percent_wins=not d(values.get("discountAmount"))))
        if line_entity == "salesOrderLine":
            values["shippedQuantity"] = values["invoicedQuantity"] = ZERO
            _order_quantities(values, values, creating=True)
        if not values.get("shipmentDate"):
            values["shipmentDate"] = header.get("requestedDeliveryDate") or header.get(
                "documentDate"
            )

    return hook


def _attached(tx: Tx, line_entity: str, values: Row) -> None:
    seq = values.get("attachedToSequence")
    if seq and tx.first(line_entity, documentId=values["documentId"], sequence=seq) is None:
        raise _bad(f"There is no line {seq} to attach this line to.", "attachedToSequence")


def _before_update(line_entity: str) -> Any:
    def hook(tx: Tx, old: Row, changes: Row) -> None:
        header = tx.require(HEADERS[line_entity], old["documentId"])
        changed = {k for k, v in changes.items() if old.get(k) != v}
        if "documentId" in changed:
            raise _bad("A line cannot move to another document.", "documentId")
        if not (header.get("status") == "Open" and changed <= _EDITABLE_WHEN_RELEASED):
            check_editable(HEADERS[line_entity], header)
        merged = {**old, **changes}
        if changed & _OBJECT_FIELDS:
            if d(old.get("shippedQuantity")):
                raise _bad("You cannot change what a shipped line sells.", "lineObjectNumber")
            for name in _OBJECT_FIELDS - changed:
                merged.pop(name, None)
            if "unitPrice" not in changes:
                merged["unitPrice"] = None
            _resolve_object(tx, header, merged)
            changes.update(
                {
                    k: merged.get(k)
                    for k in (
                        *_OBJECT_FIELDS,
                        "description",
                        "unitOfMeasureCode",
                        "unitOfMeasureId",
                        "unitPrice",
                        "quantity",
                    )
                }
            )
        if d(merged.get("quantity")) < 0:
            raise _bad("Quantity must not be negative.", "quantity")
        if "attachedToSequence" in changed:
            _attached(tx, line_entity, merged)
        amounts = line_amounts(merged, percent_wins="discountAmount" not in changes)
        changes.update(amounts)
        if line_entity == "salesOrderLine":
            _order_quantities(merged, changes, creating=False)

    return hook


def _before_delete(line_entity: str) -> Any:
    def hook(tx: Tx, row: Row) -> None:
        header = tx.get(HEADERS[line_entity], row["documentId"])
        if header is not None and tx.scratch.get("deleting_header") != header["id"]:
            check_editable(HEADERS[line_entity], header)
        if d(row.get("shippedQuantity")) != d(row.get("invoicedQuantity")):
            raise _bad("You cannot delete a line that has been shipped but not invoiced.", "id")
        for attached in tx.find(
            line_entity, documentId=row["documentId"], attachedToSequence=row["sequence"]
        ):
            tx.delete(line_entity, attached["id"], internal=True)

    return hook


def _after_write(line_entity: str) -> Any:
    def hook(tx: Tx, row: Row | None, old: Row | None) -> None:
        line = row or old or {}
        if not tx.scratch.get("recomputing") and tx.scratch.get("deleting_header") != line.get(
            "documentId"
        ):
            recompute(tx, HEADERS[line_entity], line["documentId"])
        header = tx.get(HEADERS[line_entity], line["documentId"]) or {}
        mark(tx, "customers", header.get("customerId"))
        mark(tx, "items", line.get("itemId"), (old or {}).get("itemId"))

    return hook


HOOKS = {
    line: Hooks(
        before_insert=_before_insert(line),
        before_update=_before_update(line),
        before_delete=_before_delete(line),
        after_write=_after_write(line),
    )
    for line in HEADERS
}
