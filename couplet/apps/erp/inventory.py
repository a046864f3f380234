"""Item ledger entries and inventory.

Stock moves only by posting: a shipment or an invoice without shipment takes items out,
an item adjustment (`POST …/itemAdjustments`) puts them in or takes them out at once.
Inventory is the sum of an item's ledger quantities; negative inventory is allowed, as in
Business Central's default setup. Only items of type Inventory keep stock.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import d, r2
from .blanks import insert_system
from .flowfields import set_flowfields, total
from .hooks import Hooks, Row, mark
from .numbering import next_code, next_entry


def post_item_entry(
    tx: Tx,
    item: Row,
    quantity: Decimal,
    *,
    entry_type: str,
    document_type: str,
    document_number: str,
    posting_date: dt.date,
    source_number: str = "",
    description: str = "",
    sales_amount: Decimal = Decimal(0),
    unit_cost: Decimal | None = None,
) -> Row | None:
    if item.get("type") != "Inventory" or not quantity:
        return None
    cost = d(item.get("unitCost") if unit_cost is None else unit_cost)
    entry = insert_system(
        tx,
        "itemLedgerEntry",
        {
            "companyId": item["companyId"],
            "entryNumber": next_entry(tx, item["companyId"], "ILE"),
            "itemId": item["id"],
            "itemNumber": item["number"],
            "postingDate": posting_date,
            "entryType": entry_type,
            "sourceType": "Customer" if source_number else "",
            "sourceNumber": source_number,
            "documentType": document_type,
            "documentNumber": document_number,
            "description": description or item.get("displayName") or "",
            "quantity": quantity,
            "salesAmountActual": sales_amount,
            "costAmountActual": r2(cost * quantity),
        },
    )
    inventory = total(tx, "itemLedgerEntry", "quantity", itemId=item["id"])
    set_flowfields(tx, "item", item["id"], {"inventory": inventory})
    mark(tx, "items", item["id"])
    return entry


def _adjustment_before_insert(tx: Tx, values: Row) -> None:
    if not values.get("itemId"):
        raise ODataError(
            400, "An item adjustment needs itemId or itemNumber.", "BadRequest", target="itemId"
        )
    item = tx.require("item", values["itemId"])
    if item["type"] != "Inventory":
        raise ODataError(
            400,
            f"Item {item['number']} is of type {item['type']}; only inventory items keep stock.",
            "Application_DialogException",
            target="itemId",
        )
    if not d(values.get("quantity")):
        raise ODataError(400, "quantity must not be 0.", "BadRequest", target="quantity")
    values["postingDate"] = values.get("postingDate") or tx.now.date()
    values["documentNumber"] = values.get("documentNumber") or next_code(
        tx, values["companyId"], "ADJ"
    )


def _adjustment_after_write(tx: Tx, row: Row | None, old: Row | None) -> None:
    if row is None or old is not None:
        return
    quantity = d(row["quantity"])
    entry = post_item_entry(
        tx,
        tx.require("item", row["itemId"]),
        quantity,
        entry_type="Positive Adjmt." if quantity > 0 else "Negative Adjmt.",
        document_type="",
        document_number=row["documentNumber"],
        posting_date=row["postingDate"],
        description=row.get("description") or "",
        unit_cost=d(row["unitCost"]) if d(row.get("unitCost")) else None,
    )
    assert entry is not None
    tx.update(
        "itemAdjustment", row["id"], {"itemLedgerEntryNumber": entry["entryNumber"]}, internal=True
    )


HOOKS = {
    "itemAdjustment": Hooks(
        before_insert=_adjustment_before_insert, after_write=_adjustment_after_write
    ),
}
