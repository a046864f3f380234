"""Sales document headers (quotes, orders, invoices): defaults from the customer, what may
change in which status, and totals recomputed from the lines on every change.

Status follows the API enums (docs/protocols.md, contract details): an open quote or order is
"Draft", a released one "Open"; a draft invoice is "Draft", a posted one "Open" until paid
("Paid") or cancelled ("Canceled").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.records import Tx
from . import currencies
from .amounts import allocate, d, header_totals, net_amounts
from .dates import apply_formula
from .hooks import Hooks, Row, mark

LINES = {
    "salesQuote": "salesQuoteLine",
    "salesOrder": "salesOrderLine",
    "salesInvoice": "salesInvoiceLine",
}
HEADERS = {line: header for header, line in LINES.items()}
KIND = {"salesQuote": "quote", "salesOrder": "order", "salesInvoice": "invoice"}
DRAFT, RELEASED = "Draft", "Open"

# Header fields that a released document keeps fixed (BC's TestStatusOpen fields).
_FIXED_WHEN_RELEASED = {
    "customerId",
    "customerNumber",
    "billToCustomerId",
    "billToCustomerNumber",
    "currencyId",
    "currencyCode",
    "discountAmount",
    "pricesIncludeTax",
    "paymentTermsId",
    "postingDate",
}
# What a posted invoice still lets a user change.
_EDITABLE_WHEN_POSTED = {"disputeStatus", "promisedPayDate", "customerPurchaseOrderReference"}
# Header inputs whose change means the totals must be recomputed.
_TOTAL_INPUTS = ("discountAmount", "currencyFactor", "customerId")

_CUSTOMER_DEFAULTS = {
    "customerName": "displayName",
    "sellToAddressLine1": "addressLine1",
    "sellToAddressLine2": "addressLine2",
    "sellToCity": "city",
    "sellToCountry": "country",
    "sellToState": "state",
    "sellToPostCode": "postalCode",
    "shipToName": "displayName",
    "shipToAddressLine1": "addressLine1",
    "shipToAddressLine2": "addressLine2",
    "shipToCity": "city",
    "shipToCountry": "country",
    "shipToState": "state",
    "shipToPostCode": "postalCode",
    "currencyId": "currencyId",
    "currencyCode": "currencyCode",
    "paymentTermsId": "paymentTermsId",
    "shipmentMethodId": "shipmentMethodId",
    "shippingAgentId": "shippingAgentId",
    "shippingAgentCode": "shippingAgentCode",
    "salesperson": "salespersonCode",
    "phoneNumber": "phoneNumber",
    "email": "email",
}
_BILL_TO_DEFAULTS = {
    "billToName": "displayName",
    "billToAddressLine1": "addressLine1",
    "billToAddressLine2": "addressLine2",
    "billToCity": "city",
    "billToCountry": "country",
    "billToState": "state",
    "billToPostCode": "postalCode",
}
BLOCK_LEVEL = {" ": 0, "": 0, "Ship": 1, "Invoice": 2, "All": 3}


def check_blocked(customer: Row, level: str, what: str) -> None:
    """Refuses work for a customer blocked at `level` or above (" " < Ship < Invoice < All)."""
    if BLOCK_LEVEL.get(customer.get("blocked") or " ", 0) >= BLOCK_LEVEL[level]:
        raise ODataError(
            400,
            f"You cannot {what} because customer {customer['number']} "
            f"({customer['displayName']}) is blocked for {customer['blocked']}.",
            "Application_DialogException",
            target="customerId",
        )


def _apply_customer(tx: Tx, values: Row, customer: Row, *, overwrite: bool) -> None:
    for target, source in _CUSTOMER_DEFAULTS.items():
        if overwrite or not values.get(target):
            values[target] = customer.get(source)
    bill_to = customer
    if values.get("billToCustomerId") and values["billToCustomerId"] != customer["id"]:
        bill_to = tx.require("customer", values["billToCustomerId"])
    else:
        values["billToCustomerId"] = customer["id"]
        values["billToCustomerNumber"] = customer["number"]
    for target, source in _BILL_TO_DEFAULTS.items():
        if overwrite or not values.get(target):
            values[target] = bill_to.get(source)


def _due_date(tx: Tx, values: Row) -> dt.date | None:
    base = values.get("documentDate")
    if base is None:
        return None
    terms = (
        tx.get("paymentTerm", values["paymentTermsId"]) if values.get("paymentTermsId") else None
    )
    return apply_formula(terms["dueDateCalculation"] if terms else "", base)


def _header_before_insert(header: str) -> Any:
    def hook(tx: Tx, values: Row) -> None:
        if not values.get("customerId"):
            raise ODataError(
                400,
                f"A sales {KIND[header]} needs a customer (customerId or customerNumber).",
                "BadRequest",
                target="customerId",
            )
        customer = tx.require("customer", values["customerId"])
        check_blocked(customer, "All", f"create a sales {KIND[header]}")
        _apply_customer(tx, values, customer, overwrite=False)
        today = tx.now.date()
        values.setdefault("documentDate", today)
        values["documentDate"] = values["documentDate"] or today
        values["postingDate"] = values.get("postingDate") or today
        if header == "salesOrder":
            values["orderDate"] = values.get("orderDate") or values["documentDate"]
        if header == "salesInvoice":
            values["invoiceDate"] = values.get("invoiceDate") or values["documentDate"]
            values["posted"] = False
        values["status"] = DRAFT
        values["dueDate"] = values.get("dueDate") or _due_date(tx, values)
        values["currencyFactor"] = currencies.factor(
            tx, values["companyId"], values.get("currencyId"), values["postingDate"]
        )

    return hook


def check_editable(header: str, row: Row, fields: set[str] | None = None) -> None:
    """Refuses changes to a posted invoice or to the fixed fields of a released document."""
    if header == "salesInvoice" and row.get("posted"):
        if fields is None or fields - _EDITABLE_WHEN_POSTED:
            raise ODataError(
                400,
                f"The posted sales invoice {row['number']} cannot be changed.",
                "Application_DialogException",
            )
        return
    if row.get("status") == RELEASED and (fields is None or fields & _FIXED_WHEN_RELEASED):
        names = ", ".join(sorted((fields or set()) & _FIXED_WHEN_RELEASED)) or "lines"
        raise ODataError(
            400,
            f"Status must be equal to 'Draft' in sales {KIND[header]} {row['number']} to "
            f"change {names}. Current value is 'Open' (released); reopen it first.",
            "Application_DialogException",
            target="status",
        )


def _header_before_update(header: str) -> Any:
    def hook(tx: Tx, old: Row, changes: Row) -> None:
        changed = {k for k, v in changes.items() if old.get(k) != v}
        check_editable(header, old, changed)
        merged = {**old, **changes}
        if "customerId" in changed:
            if header == "salesOrder" and _any_posted_lines(tx, old["id"]):
                raise ODataError(
                    400,
                    "You cannot change the customer of an order that has been shipped.",
                    "Application_DialogException",
                    target="customerId",
                )
            customer = tx.require("customer", merged["customerId"])
            check_blocked(customer, "All", f"use customer {customer['number']}")
            merged.pop("billToCustomerId", None)
            _apply_customer(tx, merged, customer, overwrite=True)
            changes.update(
                {
                    k: merged[k]
                    for k in (
                        *_CUSTOMER_DEFAULTS,
                        *_BILL_TO_DEFAULTS,
                        "billToCustomerId",
                        "billToCustomerNumber",
                    )
                }
            )
        if changed & {"documentDate", "paymentTermsId"} and "dueDate" not in changes:
            changes["dueDate"] = _due_date(tx, merged)
        if changed & {"currencyId", "postingDate"}:
            changes["currencyFactor"] = currencies.factor(
                tx, old["companyId"], merged.get("currencyId"), merged["postingDate"]
            )

    return hook


def _any_posted_lines(tx: Tx, order_id: str) -> bool:
    return any(
        d(line["shippedQuantity"]) or d(line["invoicedQuantity"])
        for line in tx.find("salesOrderLine", documentId=order_id)
    )


def _header_before_delete(header: str) -> Any:
    def hook(tx: Tx, row: Row) -> None:
        if header == "salesInvoice" and row.get("posted"):
            raise ODataError(
                400,
                f"The posted sales invoice {row['number']} cannot be deleted.",
                "Application_DialogException",
            )
        if header == "salesOrder":
            for line in tx.find("salesOrderLine", documentId=row["id"]):
                if d(line["shippedQuantity"]) != d(line["invoicedQuantity"]):
                    raise ODataError(
                        400,
                        f"The sales order {row['number']} cannot be deleted because it "
                        "has been shipped but not invoiced.",
                        "Application_DialogException",
                    )
        tx.scratch["deleting_header"] = row["id"]
        for line in tx.find(LINES[header], documentId=row["id"]):
            tx.delete(LINES[header], line["id"], internal=True)
        tx.scratch.pop("deleting_header", None)
        mark(tx, "customers", row.get("customerId"))

    return hook


def _header_after_write(header: str) -> Any:
    def hook(tx: Tx, row: Row | None, old: Row | None) -> None:
        if row is None:
            return
        if old is None or any(old.get(k) != row.get(k) for k in _TOTAL_INPUTS):
            recompute(tx, header, row["id"])
        mark(tx, "customers", row.get("customerId"), (old or {}).get("customerId"))

    return hook


def recompute(tx: Tx, header: str, header_id: str) -> None:
    """Allocates the invoice discount over the lines and sums the header totals.

    Posted invoices keep the amounts posting gave them; only their totals are summed.
    """
    row = tx.get(header, header_id)
    if row is None:
        return
    line_entity = LINES[header]
    table = tx.model.table(line_entity)
    lines = [
        dict(r)
        for r in tx.conn.execute(
            sa.select(table).where(table.c.documentId == header_id).order_by(table.c.sequence)
        ).mappings()
    ]
    if not row.get("posted"):
        shares = allocate(
            d(row.get("discountAmount")), [d(x.get("amountExcludingTax")) for x in lines]
        )
        tx.scratch["recomputing"] = True
        try:
            for line, allocation in zip(lines, shares, strict=True):
                net = net_amounts(line, allocation)
                if any(d(line.get(k)) != v for k, v in net.items()):
                    tx.update(line_entity, line["id"], dict(net), internal=True)
                    line.update(net)
        finally:
            tx.scratch.pop("recomputing", None)
    totals: dict[str, Any] = dict(header_totals(lines))
    if header == "salesOrder":
        amount_lines = [x for x in lines if x.get("lineType") != "Comment"]
        totals["fullyShipped"] = bool(amount_lines) and all(
            d(x["shippedQuantity"]) >= d(x["quantity"]) for x in amount_lines
        )
    changed = {
        k: v
        for k, v in totals.items()
        if (d(row.get(k)) != v if isinstance(v, Decimal) else row.get(k) != v)
    }
    if changed:
        tx.update(header, header_id, changed, internal=True)


HOOKS = {
    header: Hooks(
        before_insert=_header_before_insert(header),
        before_update=_header_before_update(header),
        before_delete=_header_before_delete(header),
        after_write=_header_after_write(header),
    )
    for header in LINES
}
