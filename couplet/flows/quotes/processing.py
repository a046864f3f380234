"""CRM quotes processed in the ERP (docs/behaviour.md §6).

Active and won CRM quotes are processed, each on its own: one that fails is logged and
tried again on the next run, the others go on. An active quote gets its ERP sales quote
(see `quote_documents`); the CRM quote itself is not touched and stays Active / In
Progress. A won quote is processed once: its ERP quote is made if missing, then the CRM
order made from the quote decides the rest - an ERP order for it (existing, or created now
when the CRM order is submitted) gets the quote's number and the quote is archived; an
order not submitted yet leaves the ERP quote released, and order creation makes the link
later (`quote_link`).

Every run logs one job under `SALESQUOTE-QUOTE` (direction crm-to-erp). Couplings of that
name tie ERP quotes to CRM quotes; couplings named `SALESQUOTE-QUOTE-WON` mark won quotes
already processed (ERP quote id, CRM quote id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...engine.context import Context
from ...engine.couplings import new_coupling
from ...engine.errors import RecordError
from ...engine.model import Condition, JobLog, Op, Row
from ...engine.roles import Role
from ..builders.lines import SalesSetup
from ..document_job import Counter, DocumentResult, document_flow, run_documents
from ..orders import creation as orders
from .documents import ACTIVE, WON, ErpQuoteError, Outcome, ensure_erp_quote, release_quote
from .link import MAPPING, link_to_quote

WON_MARKER = "SALESQUOTE-QUOTE-WON"
STATES = {0: "Draft", ACTIVE: "Active", WON: "Won", 3: "Closed"}


COUNTERS: dict[Outcome, Counter] = {Outcome.CREATED: "inserted", Outcome.UNCHANGED: "unchanged"}


@dataclass
class QuoteResult(DocumentResult):
    quote_number: str | None = None
    # What processing did; stays "failed" unless processing ends well.
    outcome: str = Outcome.FAILED.value


def waiting_quotes(ctx: Context) -> list[Row]:
    """Active quotes without an ERP quote and won quotes not processed yet."""
    rows = [
        r
        for page in ctx.crm.query("quotes", filters=(Condition("statecode", Op.IN, (ACTIVE, WON)),))
        for r in page
    ]
    active = [r.id for r in rows if r.values.get("statecode") == ACTIVE]
    won = [r.id for r in rows if r.values.get("statecode") == WON]
    coupled = ctx.state.couplings_by_crm(MAPPING, active) if active else {}
    marked = ctx.state.couplings_by_crm(WON_MARKER, won) if won else {}
    waiting = [
        r
        for r in rows
        if (r.values.get("statecode") == ACTIVE and r.id not in coupled)
        or (r.values.get("statecode") == WON and r.id not in marked)
    ]
    waiting.sort(
        key=lambda r: (str(r.values.get("quotenumber") or ""), r.values.get("revisionnumber") or 0)
    )
    return waiting


def process_quotes(
    ctx: Context, crm_ids: Sequence[str], setup: SalesSetup
) -> tuple[JobLog, list[QuoteResult]]:
    """Processes these CRM quotes in the ERP; one job logs them all."""

    def process(result: QuoteResult, quote: Row) -> Counter:
        result.quote_number = _text(quote.values.get("quotenumber"))
        try:
            _process_one(ctx, quote, setup, result)
        except ErpQuoteError as exc:
            result.erp_id = exc.erp_id
            raise
        return COUNTERS.get(Outcome(result.outcome), "modified")

    return run_documents(
        ctx,
        MAPPING,
        "quotes",
        crm_ids,
        QuoteResult,
        process,
        missing="The CRM quote {} does not exist.",
        failure="quote(s) could not be processed",
    )


def _process_one(ctx: Context, quote: Row, setup: SalesSetup, result: QuoteResult) -> None:
    state = quote.values.get("statecode")
    if state == WON:
        _process_won(ctx, quote, setup, result)
        return
    if state != ACTIVE:
        raise RecordError(
            f"The quote {result.quote_number} is {STATES.get(int(str(state)), state)}: only "
            "active and won quotes are processed (activate it in the CRM first)."
        )
    erp_quote, outcome = ensure_erp_quote(ctx, quote, setup)
    _describe(result, erp_quote, outcome)
    result.message = {
        Outcome.CREATED: f"Sales quote {result.erp_number} created.",
        Outcome.UPDATED: f"Sales quote {result.erp_number} updated from revision "
        f"{quote.values.get('revisionnumber')}; the previous version is archived.",
    }.get(outcome, f"The quote is already coupled to sales quote {result.erp_number}.")


def _process_won(ctx: Context, quote: Row, setup: SalesSetup, result: QuoteResult) -> None:
    marker = ctx.state.couplings_by_crm(WON_MARKER, [quote.id]).get(quote.id)
    if marker is not None:
        result.erp_id, result.outcome = marker.erp_id, Outcome.UNCHANGED.value
        result.message = "The won quote has been processed already."
        return
    erp_quote, outcome = ensure_erp_quote(ctx, quote, setup)
    _describe(result, erp_quote, outcome)
    order = _order_from(ctx, quote)
    erp_order = _erp_order(ctx, order, setup, result)
    if erp_order is not None:
        link_to_quote(ctx, erp_order, erp_quote)
        if outcome is Outcome.UNCHANGED:
            result.outcome = Outcome.LINKED.value
        result.message = (
            f"Sales order {erp_order.values.get('number')} refers to sales quote "
            f"{result.erp_number}, which is archived."
        )
    else:
        released = release_quote(ctx, erp_quote)
        if outcome is Outcome.UNCHANGED and released:
            result.outcome = Outcome.RELEASED.value
        result.message = (
            f"Sales quote {result.erp_number} is released; the order "
            f"{order.values.get('ordernumber')} will refer to it once it is submitted."
        )
    ctx.state.save_couplings([new_coupling(ctx.ids(), WON_MARKER, erp_quote.id, quote.id)])


def _order_from(ctx: Context, quote: Row) -> Row:
    """The CRM order made from the quote (the one already in the ERP, else a submitted one,
    else any)."""
    found = [
        r
        for page in ctx.crm.query("salesorders", filters=(Condition("quoteid", Op.EQ, quote.id),))
        for r in page
    ]
    if not found:
        raise RecordError(
            f"The quote {quote.values.get('quotenumber')} is won, but the engine is unable "
            "to find the Sales order that corresponds to this quote: create the order from "
            "the quote in the CRM, then process the quote again."
        )
    order_couplings = ctx.coupling_name(Role.SALES_ORDER)
    coupled = ctx.state.couplings_by_crm(order_couplings, [r.id for r in found])
    found.sort(
        key=lambda r: (r.id not in coupled, r.values.get("statecode") != orders.SUBMITTED, r.id)
    )
    return found[0]


def _erp_order(ctx: Context, order: Row, setup: SalesSetup, result: QuoteResult) -> Row | None:
    """The ERP order of the CRM order: the coupled one, or one created now when the CRM order
    is submitted; None while it is not."""
    mapping = ctx.coupling_name(Role.SALES_ORDER)
    coupling = ctx.state.couplings_by_crm(mapping, [order.id]).get(order.id)
    if coupling is not None:
        existing = ctx.erp.get_many("salesOrders", [coupling.erp_id]).get(coupling.erp_id)
        if existing is not None:
            return existing
    if order.values.get("statecode") != orders.SUBMITTED:
        return None
    _, [made] = orders.create_orders(ctx, [order.id], setup)
    created = (
        ctx.erp.get_many("salesOrders", [made.erp_id]).get(made.erp_id) if made.erp_id else None
    )
    if created is None:
        raise RecordError(
            f"Converting the sales quote {result.erp_number} to a sales order failed: "
            f"{made.message}"
        )
    return created


def _describe(result: QuoteResult, erp_quote: Row, outcome: Outcome) -> None:
    result.erp_id = erp_quote.id
    result.erp_number = _text(erp_quote.values.get("number"))
    result.outcome = outcome.value


def _text(value: object) -> str | None:
    return None if value is None else str(value)


FLOW = document_flow(
    name="AUTOMATICALLY PROCESS SALES QUOTES",
    kind="quotes",
    description="Automatically process sales quotes activated or won in the CRM",
    enabled=lambda features: features.auto_process_quotes,
    waiting=waiting_quotes,
    process=process_quotes,
)


def summary(quote: Row) -> dict[str, object]:
    """A waiting quote as the command line and the REST API list it."""
    v = quote.values
    return {
        "crm_id": quote.id,
        "quote_number": v.get("quotenumber"),
        "revision": v.get("revisionnumber") or 0,
        "state": STATES.get(int(str(v.get("statecode") or 0)), str(v.get("statecode"))),
        "name": v.get("name"),
        "total": str(v.get("totalamount")),
    }
