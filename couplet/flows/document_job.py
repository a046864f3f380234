"""One job over many CRM documents, each handled on its own (§5.2, §6).

Order creation and quote processing work the same way: every document gets a result, a
document that fails is logged as a job error with both ids and a message a person can act
on, and never stops the others; one job counts what happened to all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ..engine.connection import Features
from ..engine.context import Context
from ..engine.errors import RecordError
from ..engine.model import Direction, JobError, JobLog, Row
from .builders.lines import SalesSetup, sales_setup
from .flow import Flow

Counter = Literal["inserted", "modified", "unchanged"]


@dataclass
class DocumentResult:
    """What became of one CRM document (shown by the CLI and the REST API)."""

    crm_id: str
    erp_id: str | None = None
    erp_number: str | None = None
    message: str = ""


R = TypeVar("R", bound=DocumentResult)


def run_documents(
    ctx: Context,
    mapping: str,
    table: str,
    crm_ids: Sequence[str],
    make: Callable[[str], R],
    handle: Callable[[R, Row], Counter],
    *,
    missing: str,
    failure: str,
) -> tuple[JobLog, list[R]]:
    """Handles the CRM rows of `table` with these ids: `make` gives each its result,
    `handle` fills it and says which counter it raises. A `RecordError` becomes the
    result's message and a job error. `missing` is the error for an id the CRM does not
    have ("{}" stands for the id); `failure` completes the job's message, e.g. "order(s)
    could not be created"."""
    job = JobLog(ctx.ids(), mapping, Direction.CRM_TO_ERP, ctx.clock())
    rows = ctx.crm.get_many(table, list(crm_ids))
    results = [make(crm_id) for crm_id in crm_ids]
    for result in results:
        try:
            row = rows.get(result.crm_id)
            if row is None:
                raise RecordError(missing.format(result.crm_id))
            counter = handle(result, row)
        except RecordError as exc:
            result.message = str(exc)
            job.failed += 1
            ctx.state.add_errors(
                [JobError(job.id, mapping, result.crm_id, result.erp_id, str(exc), ctx.clock())]
            )
        else:
            setattr(job, counter, getattr(job, counter) + 1)
    job.finished_at = ctx.clock()
    if job.failed:
        job.message = f"{job.failed} {failure}; see the job's errors."
    ctx.state.save_job(job)
    return job, results


def document_flow(
    *,
    name: str,
    kind: str,
    description: str,
    enabled: Callable[[Features], bool],
    waiting: Callable[[Context], list[Row]],
    process: Callable[[Context, Sequence[str], SalesSetup], tuple[JobLog, Any]],
) -> Flow:
    """The recurring job of a document flow: each run processes every waiting document
    (none waiting: no run, no job), and it has work while some wait."""

    def run(ctx: Context) -> JobLog | None:
        ids = [r.id for r in waiting(ctx)]
        return process(ctx, ids, sales_setup(ctx))[0] if ids else None

    return Flow(
        name=name,
        kind=kind,
        description=description,
        enabled=enabled,
        run=run,
        has_work=lambda ctx: bool(waiting(ctx)),
    )
