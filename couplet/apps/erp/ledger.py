"""The customer ledger: entries for invoices, payments and credit memos, their detailed
entries, and applying a payment to an invoice (and undoing that).

Signs follow Business Central: an invoice entry is positive, a payment negative. An entry's
remaining amount is the sum of its detailed entries; applying moves the applied amount
between the two entries with a pair of "Application" detailed entries, unapplying adds the
reversing pair. The customer's balance is the sum of remaining amounts, and a posted
invoice's remaining amount and status (Open/Paid) follow its entry.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import ZERO, d
from .blanks import insert_system
from .currencies import to_lcy
from .flowfields import set_flowfields, total
from .hooks import Row, mark
from .numbering import next_entry


def _bad(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, "Application_DialogException", target=field)


def post_entry(
    tx: Tx,
    customer: Row,
    *,
    document_type: str,
    document_number: str,
    posting_date: dt.date,
    amount: Decimal,
    currency_factor: Any = 1,
    currency_code: str = "",
    due_date: dt.date | None = None,
    sales: Decimal = ZERO,
    description: str = "",
    external_document_number: str = "",
    invoice_id: str | None = None,
) -> Row:
    company = customer["companyId"]
    amount_lcy = to_lcy(amount, currency_factor)
    entry = insert_system(
        tx,
        "customerLedgerEntry",
        {
            "companyId": company,
            "entryNumber": next_entry(tx, company, "CLE"),
            "customerId": customer["id"],
            "customerNumber": customer["number"],
            "postingDate": posting_date,
            "dueDate": due_date or posting_date,
            "documentType": document_type,
            "documentNumber": document_number,
            "externalDocumentNumber": external_document_number,
            "description": description,
            "currencyCode": currency_code,
            "amount": amount,
            "amountLcy": amount_lcy,
            "remainingAmount": amount,
            "remainingAmountLcy": amount_lcy,
            "salesLcy": to_lcy(sales, currency_factor),
            "open": bool(amount),
            "invoiceId": invoice_id,
        },
    )
    _detail(
        tx,
        entry,
        "Initial Entry",
        amount,
        amount_lcy,
        posting_date,
        next_entry(tx, company, "TRANS"),
    )
    refresh_balance(tx, customer["id"])
    return entry


def _detail(
    tx: Tx,
    entry: Row,
    kind: str,
    amount: Decimal,
    amount_lcy: Decimal,
    posting_date: dt.date,
    transaction: int,
    applied: Row | None = None,
    unapplied: bool = False,
) -> Row:
    return insert_system(
        tx,
        "detailedCustomerLedgerEntry",
        {
            "companyId": entry["companyId"],
            "entryNumber": next_entry(tx, entry["companyId"], "DCLE"),
            "documentId": entry["id"],
            "customerLedgerEntryNumber": entry["entryNumber"],
            "entryType": kind,
            "postingDate": posting_date,
            "documentType": entry["documentType"],
            "documentNumber": entry["documentNumber"],
            "customerNumber": entry["customerNumber"],
            "amount": amount,
            "amountLcy": amount_lcy,
            "appliedEntryId": applied["id"] if applied else None,
            "transactionNumber": transaction,
            "unapplied": unapplied,
        },
    )


def _settle(tx: Tx, entry: Row) -> Row:
    """Recomputes an entry's remaining amounts from its details and syncs its invoice."""
    remaining = d(total(tx, "detailedCustomerLedgerEntry", "amount", documentId=entry["id"]))
    remaining_lcy = d(total(tx, "detailedCustomerLedgerEntry", "amountLcy", documentId=entry["id"]))
    changes = {
        "remainingAmount": remaining,
        "remainingAmountLcy": remaining_lcy,
        "open": remaining != 0,
        "closedAtDate": None if remaining else tx.now.date(),
    }
    row = tx.update("customerLedgerEntry", entry["id"], changes, internal=True)
    if entry.get("invoiceId"):
        sync_invoice(tx, entry["invoiceId"], remaining)
    refresh_balance(tx, entry["customerId"])
    return row


def sync_invoice(tx: Tx, invoice_id: str, remaining: Decimal) -> None:
    invoice = tx.get("salesInvoice", invoice_id)
    if invoice is None or invoice["status"] == "Canceled":
        return
    status = "Paid" if remaining == 0 else "Open"
    if d(invoice["remainingAmount"]) != remaining or invoice["status"] != status:
        tx.update(
            "salesInvoice",
            invoice_id,
            {"remainingAmount": remaining, "status": status},
            internal=True,
        )


def refresh_balance(tx: Tx, customer_id: str) -> None:
    balance = total(tx, "customerLedgerEntry", "remainingAmountLcy", customerId=customer_id)
    set_flowfields(tx, "customer", customer_id, {"balanceDue": balance})
    mark(tx, "customers", customer_id)


def apply(tx: Tx, entry: Row, target: Row, amount: Decimal | None = None) -> Decimal:
    """Applies `entry` (e.g. a payment) to `target` (e.g. an invoice); returns the amount."""
    if entry["customerId"] != target["customerId"]:
        raise _bad(
            "Entries of different customers cannot be applied to each other.", "appliesToInvoiceId"
        )
    if not entry["open"] or not target["open"]:
        raise _bad(
            f"Entry {target['entryNumber'] if entry['open'] else entry['entryNumber']} "
            "is closed and cannot be applied.",
            "appliesToInvoiceId",
        )
    a, b = d(entry["remainingAmount"]), d(target["remainingAmount"])
    if (a > 0) == (b > 0):
        raise _bad(
            "Only entries with opposite signs can be applied to each other.", "appliesToInvoiceId"
        )
    applied = min(abs(a), abs(b)) if amount is None else min(abs(amount), abs(a), abs(b))
    if applied <= 0:
        raise _bad("The amount to apply must be greater than 0.", "amount")
    transaction = next_entry(tx, entry["companyId"], "TRANS")
    day = tx.now.date()
    for row, other in ((entry, target), (target, entry)):
        sign = Decimal(-1) if d(row["remainingAmount"]) > 0 else Decimal(1)
        share = sign * applied
        share_lcy = sign * min(
            abs(d(row["remainingAmountLcy"])), abs(to_lcy(applied, _factor(row)))
        )
        _detail(tx, row, "Application", share, share_lcy, day, transaction, applied=other)
    _settle(tx, entry)
    _settle(tx, target)
    return applied


def _factor(entry: Row) -> Decimal:
    amount, lcy = d(entry["amount"]), d(entry["amountLcy"])
    return amount / lcy if lcy else Decimal(1)


def unapply(tx: Tx, entry: Row) -> int:
    """Undoes every application of `entry`; returns how many were undone."""
    details = tx.find(
        "detailedCustomerLedgerEntry",
        documentId=entry["id"],
        entryType="Application",
        unapplied=False,
    )
    touched: dict[str, Row] = {entry["id"]: entry}
    day = tx.now.date()
    for detail in details:
        counterpart = tx.first(
            "detailedCustomerLedgerEntry",
            documentId=detail["appliedEntryId"],
            appliedEntryId=entry["id"],
            entryType="Application",
            transactionNumber=detail["transactionNumber"],
            unapplied=False,
        )
        transaction = next_entry(tx, entry["companyId"], "TRANS")
        for original in (detail, counterpart):
            if original is None:
                continue
            owner = tx.require("customerLedgerEntry", original["documentId"])
            touched[owner["id"]] = owner
            tx.update(
                "detailedCustomerLedgerEntry", original["id"], {"unapplied": True}, internal=True
            )
            applied = tx.get("customerLedgerEntry", original["appliedEntryId"] or "")
            _detail(
                tx,
                owner,
                "Application",
                -d(original["amount"]),
                -d(original["amountLcy"]),
                day,
                transaction,
                applied=applied,
                unapplied=True,
            )
    for row in touched.values():
        _settle(tx, row)
    return len(details)


def invoice_entry(tx: Tx, invoice_id: str) -> Row:
    entry = tx.first("customerLedgerEntry", invoiceId=invoice_id)
    if entry is None:
        raise _bad("The sales invoice is not posted.", "appliesToInvoiceId")
    return entry
