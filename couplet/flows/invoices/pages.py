"""Posted ERP sales invoices become CRM invoices (docs/behaviour.md §7.1).

The runner hands every page of the posted-invoice mapping to `invoice_page` instead of its generic
page step, so one path serves "create in CRM", full synchronization and the scheduled job:
the generic plan decides per invoice (insert, modify, unchanged, skip ...); a new invoice
then gets what field mappings cannot express — the CRM order it came from (or a name, the
customer's account and a price list), its lines and its payment status — and a coupled one
keeps its header and status current until it is paid or cancelled in the CRM.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...engine.apply import apply_plan
from ...engine.context import Context
from ...engine.couplings import new_coupling
from ...engine.errors import MappingError, RecordError
from ...engine.model import Condition, Direction, JobError, JobLog, Op, Ref, Row
from ...engine.plan import Action, Decision, PassSettings, decide
from ...engine.roles import Role
from ...engine.transfer import Translations
from .lines import LinePlan, ensure_prices, invoice_lines, plan_lines
from .status import ACTIVE, refresh_status

CANNOT = "The invoice cannot be created in the CRM"


def _d(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def totals(invoice: Row, lines: Sequence[Row], *, sales_order_integration: bool) -> dict[str, Any]:
    """The CRM header totals of a posted invoice (§7.1): with sales order integration the
    back office's totals stand as they are; without, the CRM's own arithmetic applies (no
    freight, no header percentage, discounts of header and lines added up)."""
    v = invoice.values
    line_discounts = sum((_d(x.values.get("discountAmount")) for x in lines), Decimal(0))
    amount, with_tax = _d(v.get("totalAmountExcludingTax")), _d(v.get("totalAmountIncludingTax"))
    invoice_discount = _d(v.get("discountAmount"))
    result: dict[str, Any] = {"totallineitemdiscountamount": line_discounts}
    if sales_order_integration:
        tax = (
            _d(v.get("totalTaxAmount"))
            if v.get("totalTaxAmount") is not None
            else with_tax - amount
        )
        result.update(
            totalamount=with_tax,
            totaltax=tax,
            totalamountlessfreight=with_tax - tax,
            totaldiscountamount=invoice_discount,
        )
    else:
        result.update(
            freightamount=Decimal(0),
            discountpercentage=Decimal(0),
            totalamountlessfreight=amount,
            totalamount=with_tax,
            totaltax=with_tax - amount,
            totaldiscountamount=invoice_discount + line_discounts,
        )
    return result


@dataclass
class _New:
    decision: Decision
    lines: LinePlan
    price_list: str


def invoice_page(ctx: Context, job: JobLog, settings: PassSettings, rows: Sequence[Row]) -> None:
    """One page of posted invoices: plan, write headers, then lines and payment status."""
    if not rows:
        return
    mapping = settings.mapping
    ids = [r.id for r in rows]
    couplings = ctx.state.couplings_by_erp(mapping.name, ids)
    partners = ctx.crm.get_many("invoices", [c.crm_id for c in couplings.values()])
    translations = Translations.load(ctx.state, mapping, Direction.ERP_TO_CRM, rows, ctx.blanks)
    lines = invoice_lines(ctx, ids)
    decisions: list[Decision] = []
    new: dict[str, _New] = {}
    for row in rows:
        coupling = couplings.get(row.id)
        partner = partners.get(coupling.crm_id) if coupling else None
        decision = decide(settings, row, coupling, partner, translations)
        if decision.action is Action.INSERT:
            try:
                header, price_list = _new_header(ctx, row, lines[row.id])
                plan = plan_lines(ctx, row, lines[row.id])
            except RecordError as exc:
                decision = Decision(Action.FAIL, row, coupling, message=str(exc))
            else:
                decision = dataclasses.replace(decision, values={**decision.values, **header})
                new[row.id] = _New(decision, plan, price_list)
        elif partner is not None and partner.values.get("statecode") != ACTIVE:
            # Paid or cancelled in the CRM: the invoice is left as it is (§7.1).
            decision = Decision(Action.UNCHANGED, row, coupling, partner.id)
        decisions.append(decision)
    apply_plan(ctx, job, settings, decisions)
    created = ctx.state.couplings_by_erp(mapping.name, list(new))
    for erp_id, coupling in created.items():
        problem = _write_lines(ctx, coupling.crm_id, new[erp_id])
        if problem is not None:
            _undo(ctx, job, new[erp_id].decision.source, coupling.id, coupling.crm_id, problem)
    coupled = ctx.state.couplings_by_erp(mapping.name, ids)
    current = ctx.crm.get_many("invoices", [c.crm_id for c in coupled.values()])
    by_erp = {e: current[c.crm_id] for e, c in coupled.items() if c.crm_id in current}
    status = refresh_status(ctx, by_erp, only_active=True)
    for erp_id, (crm_id, message) in status.errors.items():
        job.failed += 1
        ctx.state.add_errors([JobError(job.id, mapping.name, erp_id, crm_id, message, ctx.clock())])
    ctx.state.save_job(job)


def lines_page(ctx: Context, job: JobLog, settings: PassSettings, rows: Sequence[Row]) -> None:
    """Invoice lines go with their invoice and never on their own."""
    if rows:
        raise MappingError(
            f"{settings.mapping.name}: invoice lines cannot be synchronized separately; they "
            f"are created with their invoice ({ctx.name_for(Role.POSTED_INVOICE)})."
        )


def _new_header(ctx: Context, invoice: Row, lines: Sequence[Row]) -> tuple[dict[str, Any], str]:
    """What a new CRM invoice gets besides its mapped fields, and its price list."""
    v = invoice.values
    number = v.get("number")
    header: dict[str, Any] = totals(
        invoice, lines, sales_order_integration=ctx.features.sales_order_integration
    )
    account = _account(ctx, invoice)
    order = _crm_order(ctx, str(v.get("yourReference") or ""))
    if order is not None:
        o = order.values
        customer = o.get("customerid")
        if not isinstance(customer, Ref) or customer.id != account:
            raise RecordError(
                f"{CANNOT}: the customer of the original order {o.get('ordernumber')} was "
                "changed or is no longer coupled."
            )
        header.update(name=o.get("name"), salesorderid=Ref("salesorders", order.id))
        header["customerid"] = Ref("accounts", account)
        for attribute in ("opportunityid", "ownerid"):
            if isinstance(o.get(attribute), Ref):
                header[attribute] = o[attribute]
        price_list = o.get("pricelevelid")
        if isinstance(price_list, Ref) and price_list.id:
            header["pricelevelid"] = price_list
            return header, price_list.id
    else:
        header.update(name=str(number), customerid=Ref("accounts", account))
    if not v.get("workDescription") and v.get("shipmentMethodId"):
        method_id = str(v["shipmentMethodId"])
        method = ctx.erp.get_many("shipmentMethods", [method_id]).get(method_id)
        if method is not None and method.values.get("displayName"):
            header["description"] = str(method.values["displayName"])
    price_list = default_price_list(ctx, invoice)
    header["pricelevelid"] = Ref("pricelevels", price_list)
    return header, price_list


def _account(ctx: Context, invoice: Row) -> str:
    customer_id = str(invoice.values.get("customerId") or "")
    customers = ctx.name_for(Role.CUSTOMER)
    coupling = ctx.state.couplings_by_erp(customers, [customer_id]).get(customer_id)
    account = ctx.crm.get_many("accounts", [coupling.crm_id]) if coupling else {}
    if coupling is None or coupling.crm_id not in account:
        raise RecordError(
            f"{CANNOT}: Customer {invoice.values.get('customerNumber')} must be coupled to an "
            "account in Dataverse."
        )
    return coupling.crm_id


def _crm_order(ctx: Context, reference: str) -> Row | None:
    """The CRM order an invoice came from: its number is the invoice's Your Reference."""
    if not reference:
        return None
    filters = (Condition("ordernumber", Op.EQ, reference),)
    found = [r for page in ctx.crm.query("salesorders", filters=filters) for r in page]
    return found[0] if found else None


def default_price_list(ctx: Context, invoice: Row) -> str:
    """The CRM price list named for the invoice's currency, created when missing."""
    value = invoice.values.get("currencyId")
    currency_id = str(value.id if isinstance(value, Ref) else value or "")
    if currency_id:
        currencies = ctx.name_for(Role.CURRENCY)
        coupled = ctx.state.couplings_by_erp(currencies, [currency_id]).get(currency_id)
        crm_currency = coupled.crm_id if coupled else None
    else:
        crm_currency = ctx.blank(Role.CURRENCY)
    if not crm_currency:
        raise RecordError(f"{CANNOT}: its currency is not coupled to a CRM currency.")
    currency = ctx.crm.get_many("transactioncurrencies", [crm_currency]).get(crm_currency)
    code = currency.values.get("isocurrencycode") if currency else crm_currency
    name = f"Price List in {code}"
    filters = (
        Condition("name", Op.EQ, name),
        Condition("transactioncurrencyid", Op.EQ, crm_currency),
    )
    found = [r for page in ctx.crm.query("pricelevels", filters=filters) for r in page]
    if found:
        return found[0].id
    [created] = ctx.crm.insert_many(
        "pricelevels",
        [
            {
                "name": name,
                "description": "Price list of invoices created from the ERP",
                "transactioncurrencyid": Ref("transactioncurrencies", crm_currency),
            }
        ],
    )
    if not created.ok or created.row is None:
        raise RecordError(f"{CANNOT}: the price list {name} could not be created: {created.error}")
    return created.row.id


def _write_lines(ctx: Context, crm_invoice: str, new: _New) -> str | None:
    """Writes the lines of a new CRM invoice; the reason when that failed."""
    try:
        ensure_prices(ctx, new.price_list, new.lines.prices)
    except RecordError as exc:
        return str(exc)
    values = [{**v, "invoiceid": Ref("invoices", crm_invoice)} for _, v in new.lines.lines]
    results = ctx.crm.insert_many("invoicedetails", values) if values else []
    refused = [r.error for r in results if not r.ok or r.row is None]
    if refused:
        return f"{CANNOT}: a line was refused: {refused[0]}"
    lines = ctx.name_for(Role.POSTED_INVOICE_LINE)
    ctx.state.save_couplings(
        [
            new_coupling(ctx.ids(), lines, erp_line, r.row.id)
            for (erp_line, _), r in zip(new.lines.lines, results, strict=True)
            if r.row is not None
        ]
    )
    return None


def _undo(
    ctx: Context, job: JobLog, invoice: Row, coupling_id: str, crm_id: str, message: str
) -> None:
    """Takes back a CRM invoice whose lines could not be written: an invoice is created
    whole or not at all, and the next run tries again."""
    ctx.crm.delete_many("invoices", [crm_id])
    ctx.state.delete_couplings([coupling_id])
    job.inserted -= 1
    job.failed += 1
    mapping = ctx.name_for(Role.POSTED_INVOICE)
    ctx.state.add_errors([JobError(job.id, mapping, invoice.id, crm_id, message, ctx.clock())])
