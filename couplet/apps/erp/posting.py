"""Posting sales documents: release, ship, invoice, post a draft invoice, cancel.

Shipping an order writes a posted shipment and item ledger entries, and raises each line's
shipped quantity; invoicing writes a posted sales invoice and a customer ledger entry, and
raises the invoiced quantity - separately or together, partially or fully, as Business
Central does. A fully invoiced order is deleted. Everything runs in the caller's
transaction, so a posting that fails half-way changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import AMOUNT_LINES, ZERO, d, line_amounts, net_amounts, share
from .blanks import insert_system
from .currencies import to_lcy
from .documents import LINES, RELEASED, check_blocked
from .inventory import post_item_entry
from .ledger import apply, invoice_entry, post_entry
from .numbering import next_code

Row = dict[str, Any]
_HEADER_SKIP = {
    "id",
    "number",
    "status",
    "systemRowVersion",
    "lastModifiedDateTime",
    "systemModifiedBy",
    "systemCreatedAt",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "discountAmount",
}


def _bad(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, "Application_DialogException", target=field)


def _lines(tx: Tx, header: str, header_id: str) -> list[Row]:
    return sorted(tx.find(LINES[header], documentId=header_id), key=lambda x: x["sequence"])


def release(tx: Tx, header: str, row: Row) -> None:
    if row["status"] == RELEASED:
        return
    if not any(
        x["lineType"] != "Comment" and d(x["quantity"]) for x in _lines(tx, header, row["id"])
    ):
        kind = "Order" if header == "salesOrder" else "Quote"
        raise _bad(
            f"There is nothing to release for the document of type {kind} with the "
            f"number {row['number']}."
        )
    tx.update(header, row["id"], {"status": RELEASED}, internal=True)


def reopen(tx: Tx, header: str, row: Row) -> None:
    if row["status"] != "Draft":
        tx.update(header, row["id"], {"status": "Draft"}, internal=True)


def post_order(tx: Tx, order: Row, *, ship: bool, invoice: bool) -> tuple[str | None, str | None]:
    """Posts an order; returns the ids of the posted shipment and invoice (if any)."""
    customer = tx.require("customer", order["customerId"])
    if ship:
        check_blocked(customer, "Ship", "ship")
    if invoice:
        check_blocked(customer, "Invoice", "invoice")
    lines = _lines(tx, "salesOrder", order["id"])
    to_ship = [x for x in lines if ship and x["lineType"] in AMOUNT_LINES and d(x["shipQuantity"])]
    # What can be invoiced is what has been (or is now being) shipped and not invoiced yet;
    # like Business Central, posting invoices that much rather than failing.
    to_invoice = []
    for line in lines if invoice else []:
        can = d(line["shippedQuantity"]) - d(line["invoicedQuantity"])
        can += d(line["shipQuantity"]) if ship else ZERO
        quantity = min(d(line["invoiceQuantity"]), can)
        if line["lineType"] in AMOUNT_LINES and quantity > 0:
            to_invoice.append({**line, "invoiceQuantity": quantity})
    if not to_ship and not to_invoice:
        raise _bad("There is nothing to post.")
    release(tx, "salesOrder", order)
    day = order.get("postingDate") or tx.now.date()
    shipment_id = _ship(tx, order, customer, to_ship, lines, day) if to_ship else None
    invoice_id = _invoice_order(tx, order, customer, to_invoice, lines, day) if to_invoice else None
    _after_posting(tx, order, lines, to_ship, to_invoice, day)
    return shipment_id, invoice_id


def _ship(tx: Tx, order: Row, customer: Row, to_ship: list[Row], lines: list[Row], day: Any) -> str:
    shipment = insert_system(
        tx,
        "salesShipment",
        {
            "companyId": order["companyId"],
            "number": next_code(tx, order["companyId"], "S-SHPT"),
            **{
                k: order.get(k)
                for k in (
                    "externalDocumentNumber",
                    "customerId",
                    "customerNumber",
                    "customerName",
                    "yourReference",
                    "shipToName",
                    "shipToAddressLine1",
                    "shipToCity",
                    "shipToPostCode",
                    "shipToCountry",
                    "currencyCode",
                )
            },
            "documentDate": day,
            "postingDate": day,
            "orderId": order["id"],
            "orderNumber": order["number"],
        },
    )
    shipped_seqs = {x["sequence"] for x in to_ship}
    for line in lines:
        attached = line["lineType"] == "Comment" and line["attachedToSequence"] in shipped_seqs
        if line["sequence"] not in shipped_seqs and not attached:
            continue
        quantity = d(line["shipQuantity"]) if not attached else ZERO
        insert_system(
            tx,
            "salesShipmentLine",
            {
                "companyId": order["companyId"],
                "documentId": shipment["id"],
                "documentNo": shipment["number"],
                "orderLineId": line["id"],
                **{
                    k: line.get(k)
                    for k in (
                        "sequence",
                        "lineType",
                        "lineObjectNumber",
                        "description",
                        "unitOfMeasureCode",
                        "unitPrice",
                        "discountPercent",
                        "taxPercent",
                    )
                },
                "quantity": quantity,
                "shipmentDate": day,
            },
        )
        if line["lineType"] == "Item" and quantity:
            post_item_entry(
                tx,
                tx.require("item", line["itemId"]),
                -quantity,
                entry_type="Sale",
                document_type="Sales Shipment",
                document_number=shipment["number"],
                posting_date=day,
                source_number=customer["number"],
                description=line["description"],
                sales_amount=to_lcy(
                    share(line["netAmount"], quantity, line["quantity"]), order["currencyFactor"]
                ),
            )
    return str(shipment["id"])


def _posted_line(line: Row, quantity: Decimal) -> Row:
    """A posted invoice line for `quantity` of a document line, amounts in proportion."""
    if line["lineType"] not in AMOUNT_LINES:
        return {**line, "quantity": ZERO}
    part = {
        **line,
        "quantity": quantity,
        "discountAmount": share(line["discountAmount"], quantity, line["quantity"]),
    }
    part.update(line_amounts(part, percent_wins=False))
    allocation = share(line["invoiceDiscountAllocation"], quantity, line["quantity"])
    part.update(net_amounts(part, allocation))
    return part


_LINE_COPY = (
    "sequence",
    "itemId",
    "accountId",
    "lineType",
    "lineObjectNumber",
    "description",
    "description2",
    "unitOfMeasureId",
    "unitOfMeasureCode",
    "unitPrice",
    "discountAmount",
    "discountPercent",
    "amountExcludingTax",
    "taxPercent",
    "totalTaxAmount",
    "amountIncludingTax",
    "invoiceDiscountAllocation",
    "netAmount",
    "netTaxAmount",
    "netAmountIncludingTax",
    "shipmentDate",
    "attachedToSequence",
    "quantity",
)


def _invoice_order(
    tx: Tx, order: Row, customer: Row, to_invoice: list[Row], lines: list[Row], day: Any
) -> str:
    invoice_fields = {f.name for f in tx.model.entity("salesInvoice").fields}
    header = {k: v for k, v in order.items() if k in invoice_fields and k not in _HEADER_SKIP}
    invoice = insert_system(
        tx,
        "salesInvoice",
        {
            **header,
            "number": next_code(tx, order["companyId"], "PS-INV"),
            "posted": True,
            "status": "Open",
            "invoiceDate": day,
            "postingDate": day,
            "orderId": order["id"],
            "orderNumber": order["number"],
            "shipmentDate": order.get("lastShipmentDate") or day,
        },
    )
    invoiced = {x["sequence"]: d(x["invoiceQuantity"]) for x in to_invoice}
    parts = []
    for line in lines:
        attached = line["lineType"] == "Comment" and line["attachedToSequence"] in invoiced
        if line["sequence"] in invoiced or attached:
            parts.append(_posted_line(line, invoiced.get(line["sequence"], ZERO)))
    return _finish_invoice(tx, invoice, customer, parts)


def _finish_invoice(tx: Tx, invoice: Row, customer: Row, parts: list[Row]) -> str:
    for part in parts:
        insert_system(
            tx,
            "salesInvoiceLine",
            {
                "companyId": invoice["companyId"],
                "documentId": invoice["id"],
                **{k: part.get(k) for k in _LINE_COPY},
            },
        )
    discount = sum((d(p.get("invoiceDiscountAllocation")) for p in parts), ZERO)
    tx.update("salesInvoice", invoice["id"], {"discountAmount": discount}, internal=True)
    _ledger_entry(tx, invoice["id"], customer)
    return str(invoice["id"])


def _ledger_entry(tx: Tx, invoice_id: str, customer: Row) -> None:
    """The customer ledger entry of a posted invoice, whose remaining amount it mirrors."""
    invoice = tx.require("salesInvoice", invoice_id)
    amount = d(invoice["totalAmountIncludingTax"])
    post_entry(
        tx,
        customer,
        document_type="Invoice",
        document_number=invoice["number"],
        posting_date=invoice["postingDate"],
        amount=amount,
        currency_factor=invoice["currencyFactor"],
        currency_code=invoice["currencyCode"],
        due_date=invoice["dueDate"],
        sales=d(invoice["totalAmountExcludingTax"]),
        description=f"Invoice {invoice['number']}",
        external_document_number=invoice["externalDocumentNumber"],
        invoice_id=invoice_id,
    )
    tx.update("salesInvoice", invoice_id, {"remainingAmount": amount}, internal=True)


def _after_posting(
    tx: Tx, order: Row, lines: list[Row], to_ship: list[Row], to_invoice: list[Row], day: Any
) -> None:
    shipped = {x["id"]: d(x["shipQuantity"]) for x in to_ship}
    invoiced = {x["id"]: d(x["invoiceQuantity"]) for x in to_invoice}
    done = True
    for line in lines:
        if line["lineType"] not in AMOUNT_LINES:
            continue
        now_shipped = d(line["shippedQuantity"]) + shipped.get(line["id"], ZERO)
        now_invoiced = d(line["invoicedQuantity"]) + invoiced.get(line["id"], ZERO)
        done = done and now_invoiced >= d(line["quantity"])
        if line["id"] in shipped or line["id"] in invoiced:
            tx.update(
                "salesOrderLine",
                line["id"],
                {
                    "shippedQuantity": now_shipped,
                    "invoicedQuantity": now_invoiced,
                    # What is left to do next (BC's InitQtyToShip / InitQtyToInvoice).
                    "shipQuantity": d(line["quantity"]) - now_shipped,
                    "invoiceQuantity": d(line["quantity"]) - now_invoiced,
                },
                internal=True,
            )
    if to_ship:
        tx.update("salesOrder", order["id"], {"lastShipmentDate": day}, internal=True)
    if done:
        # Business Central deletes an order once it is completely invoiced.
        tx.scratch["deleting_header"] = order["id"]
        for line in lines:
            tx.delete("salesOrderLine", line["id"], internal=True)
        tx.scratch.pop("deleting_header", None)
        tx.delete("salesOrder", order["id"], internal=True)


def post_invoice(tx: Tx, invoice: Row) -> None:
    """Posts a draft invoice: it keeps its id, gets a posted number and a ledger entry."""
    if invoice["posted"]:
        raise _bad(f"The sales invoice {invoice['number']} is already posted.")
    customer = tx.require("customer", invoice["customerId"])
    check_blocked(customer, "Invoice", "invoice")
    lines = _lines(tx, "salesInvoice", invoice["id"])
    if not any(x["lineType"] in AMOUNT_LINES and d(x["quantity"]) for x in lines):
        raise _bad("There is nothing to post.")
    day = invoice.get("postingDate") or tx.now.date()
    number = next_code(tx, invoice["companyId"], "PS-INV")
    tx.update(
        "salesInvoice",
        invoice["id"],
        {"posted": True, "status": "Open", "number": number, "postingDate": day},
        internal=True,
    )
    for line in lines:
        if line["lineType"] == "Item" and d(line["quantity"]):
            post_item_entry(
                tx,
                tx.require("item", line["itemId"]),
                -d(line["quantity"]),
                entry_type="Sale",
                document_type="Sales Invoice",
                document_number=number,
                posting_date=day,
                source_number=customer["number"],
                description=line["description"],
                sales_amount=to_lcy(d(line["netAmount"]), invoice["currencyFactor"]),
            )
    _ledger_entry(tx, invoice["id"], customer)


def cancel_invoice(tx: Tx, invoice: Row) -> str:
    """Cancels an unpaid posted invoice with a corrective credit memo applied to it; the
    items come back into stock. Returns the credit memo's number."""
    if not invoice["posted"] or invoice["status"] == "Canceled":
        raise _bad(f"The sales invoice {invoice['number']} is not an open posted invoice.")
    entry = invoice_entry(tx, invoice["id"])
    if d(entry["remainingAmount"]) != d(entry["amount"]):
        raise _bad(
            f"You cannot cancel the posted sales invoice {invoice['number']} because "
            "it is fully or partially paid."
        )
    customer = tx.require("customer", invoice["customerId"])
    day = tx.now.date()
    number = next_code(tx, invoice["companyId"], "S-CR")
    tx.update(
        "salesInvoice",
        invoice["id"],
        {"status": "Canceled", "remainingAmount": ZERO},
        internal=True,
    )
    credit = post_entry(
        tx,
        customer,
        document_type="Credit Memo",
        document_number=number,
        posting_date=day,
        amount=-d(entry["amount"]),
        currency_factor=invoice["currencyFactor"],
        currency_code=invoice["currencyCode"],
        sales=-d(invoice["totalAmountExcludingTax"]),
        description=f"Cancellation of invoice {invoice['number']}",
    )
    apply(tx, credit, tx.require("customerLedgerEntry", entry["id"]))
    for line in _lines(tx, "salesInvoice", invoice["id"]):
        if line["lineType"] == "Item" and d(line["quantity"]):
            post_item_entry(
                tx,
                tx.require("item", line["itemId"]),
                d(line["quantity"]),
                entry_type="Sale",
                document_type="Sales Credit Memo",
                document_number=number,
                posting_date=day,
                source_number=customer["number"],
                description=line["description"],
            )
    return number
