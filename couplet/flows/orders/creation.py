"""Submitted CRM sales orders become ERP sales orders (docs/behaviour.md §5.2).

Each order is handled on its own: one that fails stays submitted and unmarked, so the next
run (or a person) tries it again; one already handled is recognised by its coupling and
never creates a second ERP order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...engine.context import Context
from ...engine.couplings import new_coupling
from ...engine.errors import RecordError
from ...engine.model import Condition, JobLog, Op, Row
from ...engine.roles import Role
from ..builders.headers import ORDER, document_header
from ..builders.lines import SalesSetup, document_lines, freight_lines
from ..document_job import Counter, DocumentResult, document_flow, run_documents
from ..quotes.link import link_new_order

SUBMITTED = 1
CANNOT = ORDER.cannot


@dataclass
class OrderResult(DocumentResult):
    created: bool = False


@dataclass
class _Plan:
    header: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)


def submitted_orders(ctx: Context) -> list[Row]:
    """CRM orders waiting for the back office: submitted and not yet picked up."""
    rows = [
        r
        for page in ctx.crm.query(
            "salesorders", filters=(Condition("statecode", Op.EQ, SUBMITTED),)
        )
        for r in page
    ]
    return [
        r
        for r in rows
        if not r.values.get("lastbackofficesubmit")
        or str(r.values["lastbackofficesubmit"]).startswith("1900-01-01")
    ]


def create_orders(
    ctx: Context, crm_ids: Sequence[str], setup: SalesSetup
) -> tuple[JobLog, list[OrderResult]]:
    """Creates ERP orders for these CRM orders; one job logs them all."""

    def create(result: OrderResult, row: Row) -> Counter:
        _create_one(ctx, row, setup, result)
        return "inserted" if result.created else "unchanged"

    return run_documents(
        ctx,
        ctx.coupling_name(Role.SALES_ORDER),
        "salesorders",
        crm_ids,
        OrderResult,
        create,
        missing=f"{CANNOT}: the CRM order {{}} does not exist.",
        failure="order(s) could not be created",
    )


def _create_one(ctx: Context, order: Row, setup: SalesSetup, result: OrderResult) -> None:
    v = order.values
    if v.get("statecode") != SUBMITTED:
        raise RecordError(f"{CANNOT}: the CRM order {v.get('ordernumber')} is not submitted.")
    mapping = ctx.coupling_name(Role.SALES_ORDER)
    coupling = ctx.state.couplings_by_crm(mapping, [order.id]).get(order.id)
    if coupling is not None:
        existing = ctx.erp.get_many("salesOrders", [coupling.erp_id]).get(coupling.erp_id)
        if existing is not None:
            result.erp_id, result.erp_number = existing.id, str(existing.values.get("number"))
            result.message = f"The order is already coupled to sales order {result.erp_number}."
            return
        invoices = [
            r
            for page in ctx.erp.query(
                "salesInvoices",
                filters=(Condition("yourReference", Op.EQ, str(v.get("ordernumber") or "")),),
            )
            for r in page
        ]
        if invoices:
            result.message = (
                f"The order is already posted as invoice {invoices[0].values.get('number')}."
            )
            return
        ctx.state.delete_couplings([coupling.id])  # the ERP order is gone: make it again
    plan = _Plan(document_header(ctx, v, ORDER))
    lines = [
        r
        for page in ctx.crm.query(
            "salesorderdetails", filters=(Condition("salesorderid", Op.EQ, order.id),)
        )
        for r in page
    ]
    lines.sort(key=lambda r: (r.values.get("sequencenumber") or 0, r.id))
    for line in lines:
        plan.lines += document_lines(
            ctx, "sales order", v.get("ordernumber"), line, setup, len(plan.lines)
        )
    plan.lines += freight_lines(v, setup, len(plan.lines))
    [written] = ctx.erp.insert_many("salesOrders", [{**plan.header, "salesOrderLines": plan.lines}])
    if not written.ok or written.row is None:
        raise RecordError(f"{CANNOT}: the ERP refused it: {written.error}")
    erp_order = written.row
    ctx.state.save_couplings([new_coupling(ctx.ids(), mapping, erp_order.id, order.id)])
    result.erp_id, result.erp_number = erp_order.id, str(erp_order.values.get("number"))
    result.created = True
    result.message = f"Sales order {result.erp_number} created."
    result.message += link_new_order(ctx, v, erp_order)
    # The CRM order stays submitted; the date tells Sales the back office has it.
    [marked] = ctx.crm.update_many(
        "salesorders", [(order.id, {"lastbackofficesubmit": ctx.clock().date()})]
    )
    if not marked.ok:
        result.message += f" (the CRM order could not be marked: {marked.error})"


FLOW = document_flow(
    name="AUTO CREATE SALES ORDERS",
    kind="orders",
    description="Automatically create sales orders submitted in the CRM",
    enabled=lambda features: features.auto_create_sales_orders,
    waiting=submitted_orders,
    process=create_orders,
)


def submitted_listing(ctx: Context) -> list[dict[str, object]]:
    """The submitted orders as the CLI (`--json`) and the REST API list them."""
    return [
        {
            "crm_id": r.id,
            "order_number": r.values.get("ordernumber"),
            "name": r.values.get("name"),
            "total": str(r.values.get("totalamount")),
        }
        for r in submitted_orders(ctx)
    ]
