"""Quote archives and making an order from a quote.

Archiving copies the quote and its lines into `salesQuoteArchives` with the next version
number for that quote number. Making an order creates an order that carries the quote's
number (`quoteNumber`), header fields and lines, archives the quote and deletes it - as
Business Central does (docs/behaviour.md §6).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import AMOUNT_LINES, d
from .blanks import insert_system
from .documents import check_blocked

Row = dict[str, Any]
_SYSTEM = {
    "id",
    "systemRowVersion",
    "lastModifiedDateTime",
    "systemModifiedBy",
    "systemCreatedAt",
}
_NOT_COPIED_TO_ORDER = _SYSTEM | {
    "number",
    "status",
    "sentDate",
    "validUntilDate",
    "acceptedDate",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
}
_LINE_INPUTS = (
    "sequence",
    "itemId",
    "accountId",
    "lineType",
    "lineObjectNumber",
    "description",
    "description2",
    "unitOfMeasureCode",
    "quantity",
    "unitPrice",
    "discountAmount",
    "taxPercent",
    "shipmentDate",
    "attachedToSequence",
)


def archive(tx: Tx, quote: Row) -> Row:
    table = tx.model.table("salesQuoteArchive")
    last = tx.conn.execute(
        sa.select(sa.func.max(table.c.versionNumber)).where(
            table.c.companyId == quote["companyId"], table.c.quoteNumber == quote["number"]
        )
    ).scalar()
    fields = {f.name for f in tx.model.entity("salesQuoteArchive").fields} - _SYSTEM
    header = {k: v for k, v in quote.items() if k in fields}
    archived = insert_system(
        tx,
        "salesQuoteArchive",
        {
            **header,
            "quoteNumber": quote["number"],
            "versionNumber": int(last or 0) + 1,
            "archivedDateTime": tx.now,
            "quoteId": quote["id"],
        },
    )
    line_fields = {f.name for f in tx.model.entity("salesQuoteArchiveLine").fields} - _SYSTEM
    for line in tx.find("salesQuoteLine", documentId=quote["id"]):
        insert_system(
            tx,
            "salesQuoteArchiveLine",
            {
                **{k: v for k, v in line.items() if k in line_fields},
                "documentId": archived["id"],
            },
        )
    return archived


def make_order(tx: Tx, quote: Row) -> str:
    """Turns a quote into an order; returns the order's id."""
    customer = tx.require("customer", quote["customerId"])
    check_blocked(customer, "All", "make an order")
    lines = sorted(tx.find("salesQuoteLine", documentId=quote["id"]), key=lambda x: x["sequence"])
    if not any(x["lineType"] in AMOUNT_LINES and d(x["quantity"]) for x in lines):
        raise ODataError(
            400,
            f"The sales quote {quote['number']} has no lines to order.",
            "Application_DialogException",
        )
    order_fields = {f.name for f in tx.model.entity("salesOrder").fields}
    header = {k: v for k, v in quote.items() if k in order_fields and k not in _NOT_COPIED_TO_ORDER}
    header["quoteNumber"] = quote["number"]
    header["documentDate"] = header["postingDate"] = header["orderDate"] = tx.now.date()
    # Client rules run for the new order, so it is numbered and priced like any other.
    order = tx.insert("salesOrder", header)
    for line in lines:
        tx.insert(
            "salesOrderLine",
            {
                "companyId": quote["companyId"],
                "documentId": order["id"],
                **{k: line[k] for k in _LINE_INPUTS if line.get(k) not in (None, "")},
            },
        )
    archive(tx, quote)
    tx.scratch["deleting_header"] = quote["id"]
    for line in lines:
        tx.delete("salesQuoteLine", line["id"], internal=True)
    tx.scratch.pop("deleting_header", None)
    tx.delete("salesQuote", quote["id"], internal=True)
    return str(order["id"])
