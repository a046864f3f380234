"""Posted ERP invoices on request: listing them with their CRM coupling, and "Create in
Dynamics 365 Sales" for chosen ones (§7.1).

Creation runs through the runner as a targeted pass of the posted-invoice mapping (see
`pages.py`), so it does exactly what the scheduled job and full synchronization do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...engine.context import Context
from ...engine.manual import create_in
from ...engine.model import Condition, Coupling, JobLog, Op, Row, Side
from ...engine.roles import Role


@dataclass
class InvoiceResult:
    number: str
    erp_id: str | None = None
    crm_id: str | None = None
    created: bool = False
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.crm_id is None


def posted_invoices(ctx: Context, numbers: Sequence[str] | None = None) -> list[Row]:
    """Posted ERP invoices (all, or those with these numbers), oldest change first."""
    filters = ctx.by_role(Role.POSTED_INVOICE).erp_filter
    if numbers is not None:
        filters = (*filters, Condition("number", Op.IN, tuple(numbers)))
    return [r for page in ctx.erp.query("salesInvoices", filters=filters) for r in page]


def with_couplings(ctx: Context, rows: Sequence[Row]) -> list[tuple[Row, Coupling | None]]:
    couplings = ctx.state.couplings_by_erp(ctx.name_for(Role.POSTED_INVOICE), [r.id for r in rows])
    return [(r, couplings.get(r.id)) for r in rows]


def create_in_crm(ctx: Context, numbers: Sequence[str]) -> tuple[list[JobLog], list[InvoiceResult]]:
    """Creates CRM invoices for the posted invoices with these numbers; one result each."""
    found = {str(r.values.get("number")): r for r in posted_invoices(ctx, numbers)}
    results = {n: InvoiceResult(n) for n in dict.fromkeys(numbers)}
    for number, result in results.items():
        row = found.get(number)
        if row is None:
            result.message = f"There is no posted sales invoice {number} in the ERP."
        else:
            result.erp_id = row.id
    ids = [r.erp_id for r in results.values() if r.erp_id]
    mapping = ctx.name_for(Role.POSTED_INVOICE)
    jobs, already = create_in(ctx, mapping, Side.CRM, ids) if ids else ([], [])
    errors = {e.source_id: e.message for job in jobs for e in ctx.state.job_errors(job.id)}
    couplings = ctx.state.couplings_by_erp(mapping, ids)
    for result in results.values():
        if result.erp_id is None:
            continue
        coupling = couplings.get(result.erp_id)
        result.crm_id = coupling.crm_id if coupling else None
        if result.erp_id in already:
            result.message = f"The invoice is already coupled to CRM invoice {result.crm_id}."
        elif result.erp_id in errors or coupling is None:
            result.crm_id = None
            result.message = errors.get(result.erp_id, "The CRM invoice was not created.")
        else:
            result.created = True
            result.message = f"CRM invoice {result.crm_id} created."
    return jobs, list(results.values())


def invoice_listing(ctx: Context) -> list[dict[str, object]]:
    """Posted invoices and their CRM invoices as the CLI (`--json`) and the REST API list
    them."""
    return [
        {
            "erp_id": r.id,
            "number": r.values.get("number"),
            "customer_number": r.values.get("customerNumber"),
            "total": str(r.values.get("totalAmountIncludingTax")),
            "status": r.values.get("status"),
            "crm_id": c.crm_id if c else None,
        }
        for r, c in with_couplings(ctx, posted_invoices(ctx))
    ]
