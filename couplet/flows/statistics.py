"""The CRM statistics job (docs/behaviour.md §7.2): account statistics and the payment
status of CRM invoices.

Part 1 writes each coupled customer's figures from the ERP's `customerStatistics` into the
CRM's `nav_accountstatistics` row of its account (made on first use): first for customers
whose account has no statistics yet, then for those whose figures changed since the last
run. Part 2 reads the detailed customer ledger entries after the last one it saw and sets
the state of the CRM invoices whose ledger entries they touched (paid, partly paid, open);
it moves its position on only when every invoice could be set, so none is missed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..engine.catalogue import default_document_maps
from ..engine.context import Context
from ..engine.model import (
    Condition,
    Coupling,
    Direction,
    JobError,
    JobLog,
    Op,
    Ref,
    Row,
    Side,
    Watermarks,
)
from ..engine.roles import Role
from ..engine.schema import FieldPair
from ..engine.transfer import differences
from ..engine.watermarks import advance, candidates
from .flow import Flow
from .invoices.status import refresh_status

NAME = "CRM STATISTICS JOB"
JOB_MAPPING = "CUSTOMER STATISTICS"
SINCE_KEY = f"{NAME}#statistics"  # watermarks of the ERP statistics read
ENTRY_CURSOR = f"{NAME}:last-detailed-entry"
STATISTICS = "nav_accountstatisticses"
DONE = "The customer statistics have been successfully updated in Dataverse."


@dataclass
class CustomerResult:
    customer_number: str
    account_id: str | None = None
    result: str = ""  # inserted | modified | unchanged | failed
    message: str = ""


@dataclass
class StatisticsRun:
    job: JobLog
    customers: list[CustomerResult] = field(default_factory=list)
    invoices_changed: int = 0
    message: str = ""


def statistics_values(
    figures: Row, account_id: str, currency: str | None, fields: Sequence[FieldPair] = ()
) -> dict[str, object]:
    """The CRM account statistics row for the ERP's statistics of one customer; `fields` are
    the figures (the catalogue's `[document.account-statistics]`, its defaults' when none are
    given)."""
    v = figures.values
    fields = fields or default_document_maps().statistics().figures
    values: dict[str, object] = {
        "nav_name": v.get("customerName") or v.get("customerNumber"),
        "nav_customerno": v.get("customerNumber"),
        "nav_accountid": Ref("accounts", account_id),
        **{f.crm: v.get(f.erp) for f in fields},
    }
    if currency:
        values["transactioncurrencyid"] = Ref("transactioncurrencies", currency)
    return values


def _by(rows: Iterable[Row], key: str) -> dict[str, Row]:
    out: dict[str, Row] = {}
    for row in rows:
        value = row.values.get(key)
        out[str(value.id if isinstance(value, Ref) else value)] = row
    return out


def _rows_in(ctx: Context, side: Side, table: str, key: str, ids: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(ids), ctx.page_size):
        chunk = tuple(ids[start : start + ctx.page_size])
        condition = Condition(key, Op.IN, chunk)
        rows += [r for page in ctx.port(side).query(table, filters=(condition,)) for r in page]
    return rows


def upload(ctx: Context, run: StatisticsRun, couplings: Sequence[Coupling]) -> None:
    """Writes the statistics of these coupled customers into the CRM (part 1)."""
    job = run.job
    erp_ids = [c.erp_id for c in couplings]
    figures = _by(
        _rows_in(ctx, Side.ERP, "customerStatistics", "customerId", erp_ids), "customerId"
    )
    accounts = ctx.crm.get_many("accounts", [c.crm_id for c in couplings])
    existing = _by(
        _rows_in(ctx, Side.CRM, STATISTICS, "nav_accountid", list(accounts)), "nav_accountid"
    )
    currency = ctx.blank(Role.CURRENCY)
    fields = ctx.documents.statistics().figures
    inserts: list[tuple[CustomerResult, dict[str, object]]] = []
    updates: list[tuple[CustomerResult, str, dict[str, object]]] = []
    failed: list[Coupling] = []
    for coupling in couplings:
        row = figures.get(coupling.erp_id)
        result = CustomerResult(
            str(row.values.get("customerNumber")) if row else coupling.erp_id, coupling.crm_id
        )
        run.customers.append(result)
        if row is None or coupling.crm_id not in accounts:
            missing = "customer" if row is None else "account"
            result.result = "failed"
            result.message = (
                f"The coupled {missing} {coupling.erp_id if row is None else coupling.crm_id} "
                "does not exist; the statistics cannot be updated."
            )
            job.failed += 1
            failed.append(dataclasses.replace(coupling, skipped=True, last_error=result.message))
            ctx.state.add_errors(
                [
                    JobError(
                        job.id,
                        JOB_MAPPING,
                        coupling.erp_id,
                        coupling.crm_id,
                        result.message,
                        ctx.clock(),
                    )
                ]
            )
            continue
        values = statistics_values(row, coupling.crm_id, currency, fields)
        current = existing.get(coupling.crm_id)
        if current is None:
            inserts.append((result, values))
        else:
            changes = differences(values, current.values)
            if changes:
                updates.append((result, current.id, changes))
            else:
                result.result = "unchanged"
                job.unchanged += 1
    if failed:
        ctx.state.save_couplings(failed)
    written = ctx.crm.insert_many(STATISTICS, [v for _, v in inserts]) if inserts else []
    for (result, _), outcome in zip(inserts, written, strict=True):
        _count(ctx, job, result, "inserted", outcome.error)
    changed = ctx.crm.update_many(STATISTICS, [(i, c) for _, i, c in updates]) if updates else []
    for (result, _, _), outcome in zip(updates, changed, strict=True):
        _count(ctx, job, result, "modified", outcome.error)


def _count(ctx: Context, job: JobLog, result: CustomerResult, done: str, error: str | None) -> None:
    if error is None:
        result.result = done
        setattr(job, done, getattr(job, done) + 1)
        return
    result.result = "failed"
    result.message = (
        f"The account statistics of customer {result.customer_number} were refused: {error}"
    )
    job.failed += 1
    ctx.state.add_errors(
        [JobError(job.id, JOB_MAPPING, None, result.account_id, result.message, ctx.clock())]
    )


def invoice_status(ctx: Context, run: StatisticsRun, invoice_ids: Sequence[str]) -> bool:
    """Sets the state of the coupled CRM invoices of these ERP invoices; False when some
    could not be set (part 2)."""
    if not invoice_ids:
        return True
    invoices = ctx.name_for(Role.POSTED_INVOICE)
    couplings = ctx.state.couplings_by_erp(invoices, list(dict.fromkeys(invoice_ids)))
    crm = ctx.crm.get_many("invoices", [c.crm_id for c in couplings.values()])
    by_erp = {e: crm[c.crm_id] for e, c in couplings.items() if c.crm_id in crm}
    outcome = refresh_status(ctx, by_erp, only_active=False)
    run.invoices_changed += len(outcome.changed)
    run.job.modified += len(outcome.changed)
    for erp_id, (crm_id, message) in outcome.errors.items():
        run.job.failed += 1
        ctx.state.add_errors([JobError(run.job.id, invoices, erp_id, crm_id, message, ctx.clock())])
    return not outcome.errors


def _coupled_customers(ctx: Context) -> list[Coupling]:
    customers = ctx.name_for(Role.CUSTOMER)
    return [c for page in ctx.state.all_couplings(customers) for c in page if not c.skipped]


def _changed_statistics(ctx: Context, until: dt.datetime) -> tuple[list[Row], Watermarks]:
    """ERP customer statistics changed since the last run (up to `until`), and the
    watermarks once they are handled."""
    marks = ctx.state.watermarks(SINCE_KEY)
    rows: list[Row] = []
    for page in candidates(
        ctx.erp, "customerStatistics", (), marks, Side.ERP, until, ctx.page_size
    ):
        rows += page
        marks = advance(marks, Side.ERP, page, until)
    return rows, marks


def _new_entries(ctx: Context) -> list[Row]:
    last = int(ctx.state.cursor(ENTRY_CURSOR) or 0)
    filters = (Condition("entryNumber", Op.GT, last),)
    return [
        r for page in ctx.erp.query("detailedCustomerLedgerEntries", filters=filters) for r in page
    ]


def _invoices_of_entries(ctx: Context, entry_ids: Sequence[str]) -> list[str]:
    if not entry_ids:
        return []
    entries = ctx.erp.get_many("customerLedgerEntries", list(dict.fromkeys(entry_ids)))
    return [
        str(e.values["invoiceId"])
        for e in entries.values()
        if e.values.get("documentType") == "Invoice" and e.values.get("invoiceId")
    ]


def run_job(ctx: Context) -> StatisticsRun:
    """One run of the statistics job (both parts)."""
    run = StatisticsRun(JobLog(ctx.ids(), JOB_MAPPING, Direction.ERP_TO_CRM, ctx.clock()))
    ctx.state.save_job(run.job)
    coupled = _coupled_customers(ctx)
    with_rows = set(_by((r for page in ctx.crm.query(STATISTICS) for r in page), "nav_accountid"))
    changed, marks = _changed_statistics(ctx, run.job.started_at)
    wanted = {str(r.values.get("customerId")) for r in changed}
    todo = [c for c in coupled if c.crm_id not in with_rows or c.erp_id in wanted]
    if todo:
        upload(ctx, run, todo)
    ctx.state.save_watermarks(SINCE_KEY, marks)
    entries = _new_entries(ctx)
    last = int(ctx.state.cursor(ENTRY_CURSOR) or 0)
    invoices = _invoices_of_entries(ctx, [str(e.values.get("documentId")) for e in entries])
    if invoice_status(ctx, run, invoices):
        last = max((int(str(e.values.get("entryNumber") or 0)) for e in entries), default=last)
        # Saved after every run that went well, so the job is known to have run.
        ctx.state.save_cursor(ENTRY_CURSOR, str(last))
    return _finish(ctx, run)


def update_customers(ctx: Context, numbers: Sequence[str] | None = None) -> StatisticsRun:
    """ "Update Account Statistics": one or several customers (all coupled ones when none are
    named) and the payment status of their invoices, now."""
    run = StatisticsRun(JobLog(ctx.ids(), JOB_MAPPING, Direction.ERP_TO_CRM, ctx.clock()))
    ctx.state.save_job(run.job)
    mapping = ctx.name_for(Role.CUSTOMER)
    if numbers is None:
        couplings = [c for page in ctx.state.all_couplings(mapping) for c in page]
    else:
        customers = _by(_rows_in(ctx, Side.ERP, "customers", "number", list(numbers)), "number")
        found = ctx.state.couplings_by_erp(mapping, [r.id for r in customers.values()])
        couplings = []
        for number in numbers:
            customer = customers.get(number)
            coupling = found.get(customer.id) if customer else None
            if coupling is None:
                message = (
                    f"Customer {number} does not exist in the ERP."
                    if customer is None
                    else f"Customer {number} must be coupled to an account in Dataverse."
                )
                run.customers.append(CustomerResult(number, result="failed", message=message))
                run.job.failed += 1
                ctx.state.add_errors(
                    [
                        JobError(
                            run.job.id,
                            JOB_MAPPING,
                            customer.id if customer else None,
                            None,
                            message,
                            ctx.clock(),
                        )
                    ]
                )
            else:
                couplings.append(coupling)
    if couplings:
        upload(ctx, run, couplings)
        entries = _rows_in(
            ctx, Side.ERP, "customerLedgerEntries", "customerId", [c.erp_id for c in couplings]
        )
        invoice_status(
            ctx,
            run,
            [str(e.values["invoiceId"]) for e in entries if e.values.get("invoiceId")],
        )
    return _finish(ctx, run)


def _finish(ctx: Context, run: StatisticsRun) -> StatisticsRun:
    job = run.job
    job.finished_at = ctx.clock()
    statistics = f"{job.inserted} inserted, {job.modified - run.invoices_changed} modified"
    job.message = (
        f"Account statistics: {statistics}, {job.unchanged} unchanged; "
        f"{run.invoices_changed} invoice(s) changed payment status."
    )
    if job.failed:
        job.message += f" {job.failed} failed; see the job's errors."
    run.message = DONE if not job.failed else job.message
    ctx.state.save_job(job)
    return run


def has_work(ctx: Context) -> bool:
    """New detailed ledger entries, or customer statistics that changed since the last run.
    Before its first run the job waits for its schedule (everything would count as new)."""
    stored = ctx.state.cursor(ENTRY_CURSOR)
    if stored is None:
        return False
    last = int(stored)
    if ctx.erp.count("detailedCustomerLedgerEntries", (Condition("entryNumber", Op.GT, last),)):
        return True
    return bool(_changed_statistics(ctx, ctx.clock())[0])


FLOW = Flow(
    name=NAME,
    kind="statistics",
    description="Customer statistics and invoice payment status in the CRM",
    enabled=lambda features: True,
    run=lambda ctx: run_job(ctx).job,
    has_work=has_work,
)
