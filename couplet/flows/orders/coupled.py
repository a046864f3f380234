"""Reading around coupled sales orders, shared by the order status and notes jobs.

Both jobs look at every order coupled by the sales-order mapping (open orders only: a coupling is
removed once its order is fully invoiced), in chunks, reading what belongs to each chunk
with one `in` filter per table rather than one request per order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from ...engine.context import Context
from ...engine.model import Condition, Coupling, Direction, Filter, JobError, JobLog, Op, Row
from ...engine.ports import RecordPort
from ...engine.roles import Role
from ...engine.transfer import reference_key

# Ids per `in` filter: each becomes an OR'ed equality in the URL, so keep URLs short.
IDS_PER_FILTER = 50


def run_over_orders(
    ctx: Context,
    name: str,
    direction: Direction,
    cursor: str,
    work: Callable[[Context, JobLog, Sequence[Coupling]], None],
) -> JobLog:
    """One job over every coupled order, chunk by chunk; the run's start is kept in
    `cursor` (for `changed_since_run`)."""
    job = JobLog(ctx.ids(), name, direction, ctx.clock())
    ctx.state.save_job(job)
    for chunk in chunks(coupled_orders(ctx), ctx.page_size):
        work(ctx, job, chunk)
    ctx.state.save_cursor(cursor, job.started_at.isoformat())
    job.finished_at = ctx.clock()
    if job.failed:
        job.message = f"{job.failed} record(s) failed; see the job's errors."
    ctx.state.save_job(job)
    return job


def coupled_orders(ctx: Context) -> list[Coupling]:
    """Every coupling of an ERP order to its CRM order (read fully first, as the jobs
    remove couplings while they work)."""
    mapping = ctx.coupling_name(Role.SALES_ORDER)
    return [c for page in ctx.state.all_couplings(mapping) for c in page]


def chunks(couplings: Sequence[Coupling], size: int) -> Iterator[Sequence[Coupling]]:
    for start in range(0, len(couplings), size):
        yield couplings[start : start + size]


def rows_by_parent(
    port: RecordPort, table: str, parent_field: str, parent_ids: Sequence[str], *more: Condition
) -> dict[str, list[Row]]:
    """The rows of `table` whose `parent_field` is one of the ids, grouped by that id."""
    found: dict[str, list[Row]] = defaultdict(list)
    for start in range(0, len(parent_ids), IDS_PER_FILTER):
        ids = tuple(parent_ids[start : start + IDS_PER_FILTER])
        filters = (Condition(parent_field, Op.IN, ids), *more)
        for page in port.query(table, filters=filters):
            for row in page:
                parent = reference_key(row.values.get(parent_field))
                if parent is not None:
                    found[parent].append(row)
    return found


def changed_since_run(
    ctx: Context, cursor: str, probes: Sequence[tuple[RecordPort, str, Filter]]
) -> bool:
    """Whether a job may find something: orders are coupled and, since its last run (the
    time in `cursor`), some row of the probed tables changed. Cheap: one row per probe."""
    if not next(iter(ctx.state.all_couplings(ctx.coupling_name(Role.SALES_ORDER))), []):
        return False
    last = ctx.state.cursor(cursor)
    if last is None:
        return True
    since = dt.datetime.fromisoformat(last)
    for port, table, filters in probes:
        first = next(port.query(table, filters=filters, modified_from=since, page_size=1), [])
        if first:
            return True
    return False


def record_failure(
    ctx: Context, job: JobLog, erp_id: str | None, crm_id: str | None, message: str
) -> None:
    job.failed += 1
    ctx.state.add_errors([JobError(job.id, job.mapping, erp_id, crm_id, message, ctx.clock())])
