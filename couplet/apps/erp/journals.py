"""Customer payment journals: payment lines are entered under a journal and become
customer ledger entries when the journal is posted (`…/customerPaymentJournals({id})/
Microsoft.NAV.post`, docs/protocols.md, contract details). A line with `appliesToInvoiceId` (or
`appliesToInvoiceNumber`) is applied to that posted invoice, partially or fully.

A payment always lowers the customer's balance by the line's amount: the amount may be
entered as Business Central's journal does (negative, a credit) or as a positive sum
received; it is stored as entered.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import d
from .currencies import factor
from .hooks import Hooks, Row
from .ledger import apply, invoice_entry, post_entry
from .numbering import next_code


def _bad(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, "Application_DialogException", target=field)


def _invoice_and_customer(tx: Tx, values: Row) -> None:
    invoice_id = values.get("appliesToInvoiceId")
    if not invoice_id:
        return
    invoice = tx.require("salesInvoice", invoice_id)
    if not invoice["posted"]:
        raise _bad(f"The sales invoice {invoice['number']} is not posted.", "appliesToInvoiceId")
    if not values.get("customerId"):
        values["customerId"] = invoice["customerId"]
        values["customerNumber"] = invoice["customerNumber"]
    elif values["customerId"] != invoice["customerId"]:
        raise _bad(
            f"The sales invoice {invoice['number']} belongs to another customer.",
            "appliesToInvoiceId",
        )


def _payment_before_insert(tx: Tx, values: Row) -> None:
    journal = tx.get("customerPaymentJournal", values.get("journalId") or "")
    if journal is None or journal["companyId"] != values["companyId"]:
        raise _bad("The payment needs an existing journal (journalId).", "journalId")
    values["journalDisplayName"] = journal["code"]
    if not values.get("lineNumber"):
        table = tx.model.table("customerPayment")
        top = tx.conn.execute(
            sa.select(sa.func.max(table.c.lineNumber)).where(table.c.journalId == journal["id"])
        ).scalar()
        values["lineNumber"] = int(top or 0) + 10000
    values["postingDate"] = values.get("postingDate") or tx.now.date()
    values["documentNumber"] = values.get("documentNumber") or next_code(
        tx, values["companyId"], "PMT"
    )
    _invoice_and_customer(tx, values)


def _payment_before_update(tx: Tx, old: Row, changes: Row) -> None:
    if "journalId" in changes and changes["journalId"] != old["journalId"]:
        raise _bad("A payment line cannot move to another journal.", "journalId")
    merged = {**old, **changes}
    if "appliesToInvoiceId" in changes or "customerId" in changes:
        _invoice_and_customer(tx, merged)
        changes.update({k: merged[k] for k in ("customerId", "customerNumber")})


def _journal_balancing(tx: Tx, values: Row) -> None:
    if values.get("balancingAccountId"):
        values["balancingAccountNumber"] = tx.require("account", values["balancingAccountId"])[
            "number"
        ]
    elif "balancingAccountId" in values:
        values["balancingAccountNumber"] = ""


def post_journal(tx: Tx, journal: Row) -> int:
    """Posts every line of the journal and empties it; returns the number of lines."""
    lines = sorted(
        tx.find("customerPayment", journalId=journal["id"]), key=lambda x: x["lineNumber"]
    )
    if not lines:
        raise _bad(f"There is nothing to post in journal {journal['code']}.")
    for line in lines:
        _post_line(tx, line)
        tx.delete("customerPayment", line["id"], internal=True)
    return len(lines)


def _post_line(tx: Tx, line: Row) -> None:
    if not line.get("customerId"):
        raise _bad(f"Line {line['lineNumber']}: customerId must have a value.", "customerId")
    amount = abs(d(line["amount"]))
    if not amount:
        raise _bad(f"Line {line['lineNumber']}: amount must not be 0.", "amount")
    customer = tx.require("customer", line["customerId"])
    target: Any = None
    # A payment is in the currency of the invoice it pays, else the customer's currency.
    code, rate = customer.get("currencyCode") or "", None
    if line.get("appliesToInvoiceId"):
        target = invoice_entry(tx, line["appliesToInvoiceId"])
        invoice = tx.require("salesInvoice", line["appliesToInvoiceId"])
        code, rate = invoice["currencyCode"], invoice["currencyFactor"]
    if rate is None:
        rate = factor(tx, customer["companyId"], customer.get("currencyId"), line["postingDate"])
    payment = post_entry(
        tx,
        customer,
        document_type="Payment",
        document_number=line["documentNumber"],
        posting_date=line["postingDate"],
        amount=-amount,
        currency_code=code,
        currency_factor=rate,
        description=line.get("description") or f"Payment {amount}",
        external_document_number=line.get("externalDocumentNumber") or "",
    )
    if target is not None:
        apply(tx, payment, tx.require("customerLedgerEntry", target["id"]))


HOOKS = {
    "customerPayment": Hooks(
        before_insert=_payment_before_insert, before_update=_payment_before_update
    ),
    "customerPaymentJournal": Hooks(
        before_insert=_journal_balancing,
        before_update=lambda tx, old, ch: _journal_balancing(tx, ch),
    ),
}
