"""The bound actions on sales documents, journals and ledger entries.

Standard (v2.0 and the custom group): salesQuotes makeOrder, salesOrders shipAndInvoice,
salesInvoices post/cancel, customerPaymentJournals post. Custom group only: release and
reopen orders and quotes, post an order's shipment or invoice alone, archive a quote, and
apply or unapply a customer ledger entry (body: `{"appliesToEntryId"| "appliesToInvoiceId",
"amount"?}`).
"""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError
from .._common.http import Reply
from .._common.records import Tx
from .._common.types import parse_decimal, parse_guid
from .actions import ActionContext, action
from .journals import post_journal
from .ledger import apply, invoice_entry, unapply
from .posting import cancel_invoice, post_invoice, post_order, release, reopen
from .quotes import archive, make_order

Row = dict[str, Any]


def _posted(ctx: ActionContext, shipment: str | None, invoice: str | None) -> Reply:
    headers = {}
    if shipment:
        headers["X-Posted-Shipment-Id"] = shipment
    if invoice:
        headers["X-Posted-Invoice-Id"] = invoice
        headers.update(ctx.location("salesInvoices", invoice))
    return Reply(204, headers=headers)


@action("salesQuote", "makeOrder", standard=True)
def _make_order(tx: Tx, ctx: ActionContext, quote: Row) -> Reply:
    return Reply(204, headers=ctx.location("salesOrders", make_order(tx, quote)))


@action("salesOrder", "shipAndInvoice", standard=True)
def _ship_and_invoice(tx: Tx, ctx: ActionContext, order: Row) -> Reply:
    return _posted(ctx, *post_order(tx, order, ship=True, invoice=True))


@action("salesOrder", "postShipment", standard=False)
def _post_shipment(tx: Tx, ctx: ActionContext, order: Row) -> Reply:
    return _posted(ctx, *post_order(tx, order, ship=True, invoice=False))


@action("salesOrder", "postInvoice", standard=False)
def _post_invoice_only(tx: Tx, ctx: ActionContext, order: Row) -> Reply:
    return _posted(ctx, *post_order(tx, order, ship=False, invoice=True))


for _header in ("salesOrder", "salesQuote"):

    def _release(tx: Tx, ctx: ActionContext, row: Row, header: str = _header) -> Reply:
        release(tx, header, row)
        return Reply(204)

    def _reopen(tx: Tx, ctx: ActionContext, row: Row, header: str = _header) -> Reply:
        reopen(tx, header, row)
        return Reply(204)

    action(_header, "release", standard=False)(_release)
    action(_header, "reopen", standard=False)(_reopen)


@action("salesQuote", "archive", standard=False)
def _archive(tx: Tx, ctx: ActionContext, quote: Row) -> Reply:
    archived = archive(tx, quote)
    return Reply(204, headers=ctx.location("salesQuoteArchives", archived["id"]))


@action("salesInvoice", "post", standard=True)
def _post(tx: Tx, ctx: ActionContext, invoice: Row) -> Reply:
    post_invoice(tx, invoice)
    return Reply(204)


@action("salesInvoice", "cancel", standard=True)
def _cancel(tx: Tx, ctx: ActionContext, invoice: Row) -> Reply:
    cancel_invoice(tx, invoice)
    return Reply(204)


@action("customerPaymentJournal", "post", standard=True)
def _post_journal(tx: Tx, ctx: ActionContext, journal: Row) -> Reply:
    post_journal(tx, journal)
    return Reply(204)


@action("customerLedgerEntry", "apply", standard=False)
def _apply(tx: Tx, ctx: ActionContext, entry: Row) -> Reply:
    body = ctx.req.json()
    if body.get("appliesToInvoiceId"):
        target = invoice_entry(tx, parse_guid(body["appliesToInvoiceId"], "appliesToInvoiceId"))
    elif body.get("appliesToEntryId"):
        target = (
            tx.get("customerLedgerEntry", parse_guid(body["appliesToEntryId"], "appliesToEntryId"))
            or {}
        )
        if target.get("companyId") != ctx.company_id:
            raise ODataError(
                400,
                "The entry to apply to does not exist.",
                "BadRequest_NotFound",
                target="appliesToEntryId",
            )
    else:
        raise ODataError(
            400,
            "Name the entry to apply to: appliesToEntryId or appliesToInvoiceId.",
            "BadRequest",
            target="appliesToEntryId",
        )
    amount = parse_decimal(body["amount"], "amount") if body.get("amount") is not None else None
    apply(tx, entry, target, amount)
    return Reply(204)


@action("customerLedgerEntry", "unapply", standard=False)
def _unapply(tx: Tx, ctx: ActionContext, entry: Row) -> Reply:
    if not unapply(tx, entry):
        raise ODataError(
            400,
            f"Entry {entry['entryNumber']} has no applications to undo.",
            "Application_DialogException",
        )
    return Reply(204)
