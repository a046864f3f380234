"""One job over many CRM documents, each handled on its own (§5.2, §6).

Order creation and quote processing work the same way: every document gets a result, a
document that fails is logged as a job error with both ids and a message a person can act
on, and never stops the others; one job counts what happened to all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from ..context import Context
from ..errors import RecordError
from ..model import Direction, JobError, JobLog

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
    results: Sequence[R],
    handle: Callable[[R], Counter],
    failure: str,
) -> JobLog:
    """Handles each result's document with `handle` (which fills the result and says which
    counter it raises); a `RecordError` becomes the result's message and a job error.
    `failure` completes the job's message, e.g. "order(s) could not be created"."""
    job = JobLog(ctx.ids(), mapping, Direction.CRM_TO_ERP, ctx.clock())
    for result in results:
        try:
            counter = handle(result)
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
    return job
