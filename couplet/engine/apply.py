"""Carrying out the plan of one page: bulk writes, then the couplings and the job log.

Inserts go out in one `insert_many`, modifications in one `update_many`; the couplings of
new rows are saved straight after their insert, so a run that stops right after cannot
create the same rows again. Every failed record gets one job error with both ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .context import Context
from .couplings import SKIPPED_NOTICE, mark_failure, mark_success, new_coupling, recoupled
from .echo import learn
from .model import Coupling, JobError, JobLog, Row, Side
from .plan import Action, Decision, PassSettings
from .ports import WriteResult


@dataclass
class _PageResult:
    couplings: list[Coupling] = field(default_factory=list)
    errors: list[JobError] = field(default_factory=list)
    uncoupled: list[str] = field(default_factory=list)


def apply_plan(
    ctx: Context, job: JobLog, settings: PassSettings, decisions: Sequence[Decision]
) -> None:
    destination = settings.direction.destination
    result = _PageResult()
    inserts = [d for d in decisions if d.action is Action.INSERT]
    if inserts:
        _insert(ctx, job, settings, inserts, result)
        if result.couplings:
            ctx.state.save_couplings(result.couplings)
            result.couplings = []
    modifies = [d for d in decisions if d.action is Action.MODIFY]
    if modifies:
        _modify(ctx, job, settings, modifies, result)
    for decision in decisions:
        action = decision.action
        if action is Action.UNCHANGED:
            job.unchanged += 1
            if decision.refresh and decision.coupling is not None:
                result.couplings.append(
                    mark_success(decision.coupling, destination, job.id, decision.source, None)
                )
        elif action is Action.SKIP:
            job.skipped += 1
        elif action is Action.FAIL:
            _fail(ctx, job, settings, decision, decision.message, result)
        elif action is Action.UNCOUPLE and decision.coupling is not None:
            result.uncoupled.append(decision.coupling.id)
            job.uncoupled += 1
    if result.couplings:
        ctx.state.save_couplings(result.couplings)
    if result.uncoupled:
        ctx.state.delete_couplings(result.uncoupled)
    if result.errors:
        ctx.state.add_errors(result.errors)
    ctx.state.save_job(job)


def _insert(
    ctx: Context,
    job: JobLog,
    settings: PassSettings,
    decisions: Sequence[Decision],
    result: _PageResult,
) -> None:
    mapping, destination = settings.mapping, settings.direction.destination
    table = mapping.table_on(destination)
    outcomes = ctx.port(destination).insert_many(table, [d.values for d in decisions])
    learn(ctx, destination, (o.row for o in outcomes if o.ok))
    for decision, outcome in zip(decisions, outcomes, strict=True):
        row = outcome.row
        if not outcome.ok or row is None:
            reason = outcome.error or "the system returned no row"
            message = f"Creating the {table} row in {destination.system_name} failed: {reason}"
            _fail(ctx, job, settings, decision, message, result)
            continue
        if decision.coupling is not None:  # restoring a deleted partner
            coupling = recoupled(decision.coupling, destination, row.id)
        else:
            erp_id, crm_id = _ids(decision.source, row, destination)
            coupling = new_coupling(ctx.ids(), mapping.name, erp_id, crm_id)
        result.couplings.append(mark_success(coupling, destination, job.id, decision.source, row))
        job.inserted += 1


def _modify(
    ctx: Context,
    job: JobLog,
    settings: PassSettings,
    decisions: Sequence[Decision],
    result: _PageResult,
) -> None:
    destination = settings.direction.destination
    table = settings.mapping.table_on(destination)
    changes = [(d.destination_id or "", d.values) for d in decisions]
    outcomes = _restored(
        ctx, table, destination, decisions, ctx.port(destination).update_many(table, changes)
    )
    learn(ctx, destination, (o.row for o in outcomes if o.ok))
    for decision, outcome in zip(decisions, outcomes, strict=True):
        assert decision.coupling is not None
        if not outcome.ok:
            message = (
                f"Modifying the {table} row in {destination.system_name} failed: {outcome.error}"
            )
            _fail(ctx, job, settings, decision, message, result)
            continue
        result.couplings.append(
            mark_success(
                decision.coupling,
                destination,
                job.id,
                decision.source,
                outcome.row,
                both_modified=decision.both_modified,
            )
        )
        job.modified += 1


def _restored(
    ctx: Context,
    table: str,
    destination: Side,
    decisions: Sequence[Decision],
    outcomes: Sequence[WriteResult],
) -> list[WriteResult]:
    """Puts back the state of rows that were switched to the mapping's write state; the
    outcome of a row becomes that of its second write (a row left unlocked is a failure)."""
    due = [i for i, (d, o) in enumerate(zip(decisions, outcomes, strict=True)) if d.reset and o.ok]
    if not due:
        return list(outcomes)
    replies = ctx.port(destination).update_many(
        table, [(decisions[i].destination_id or "", decisions[i].reset) for i in due]
    )
    result = list(outcomes)
    for i, reply in zip(due, replies, strict=True):
        result[i] = (
            reply if reply.ok else WriteResult(error=f"the values were written, but {reply.error}")
        )
    return result


def fail_page(
    ctx: Context, job: JobLog, settings: PassSettings, rows: Sequence[Row], cause: str
) -> None:
    """A page that could not be planned or written at all: each of its records fails with
    the cause (logged with its ids; coupled records join the retry set)."""
    direction = settings.direction
    ids = [row.id for row in rows]
    if direction.source is Side.ERP:
        couplings = ctx.state.couplings_by_erp(settings.mapping.name, ids)
    else:
        couplings = ctx.state.couplings_by_crm(settings.mapping.name, ids)
    result = _PageResult()
    message = f"Could not write this record to {direction.destination.system_name}: {cause}"
    for row in rows:
        coupling = couplings.get(row.id)
        destination_id = coupling.id_on(direction.destination) if coupling else None
        decision = Decision(Action.FAIL, row, coupling, destination_id, message=message)
        _fail(ctx, job, settings, decision, message, result)
    if result.couplings:
        ctx.state.save_couplings(result.couplings)
    ctx.state.add_errors(result.errors)
    ctx.state.save_job(job)


def _fail(
    ctx: Context,
    job: JobLog,
    settings: PassSettings,
    decision: Decision,
    message: str,
    result: _PageResult,
) -> None:
    shown = message
    if decision.coupling is not None:
        coupling, now_skipped = mark_failure(
            decision.coupling, settings.direction.destination, job.id, message
        )
        result.couplings.append(coupling)
        if now_skipped:
            shown = f"{message} {SKIPPED_NOTICE}"
            job.skipped += 1
        else:
            job.failed += 1
    else:
        job.failed += 1
    result.errors.append(
        JobError(
            job_id=job.id,
            mapping=settings.mapping.name,
            source_id=decision.source.id,
            destination_id=decision.destination_id,
            message=shown,
            created_at=ctx.clock(),
        )
    )


def _ids(source: Row, written: Row, destination: Side) -> tuple[str, str]:
    """(erp id, crm id) of a source row and the row written for it."""
    return (written.id, source.id) if destination is Side.ERP else (source.id, written.id)
