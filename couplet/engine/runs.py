"""Runs a person asks for (REST API, admin pages): synchronize modified records, synchronize
chosen records now, full synchronization - queued as one-off job queue entries, as Business
Central queues its "synchronize now" and full-sync jobs (§1.4), so whichever worker is
running (the embedded one or procrastinate's) does the work and a request returns at once.

A run's progress and outcome are kept as a state cursor `run:<id>` (JSON): the job queue
entry disappears once the run succeeds, but the person polling must still see how it went.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from . import full_sync, shapes
from .context import Context
from .errors import ConfigError
from .manual import synchronize_now
from .model import Direction, JobLog
from .ports import JobQueuePort, StatePort
from .runner import synchronize_many
from .schedule import JobEntry, JobStatus, RunOutcome

KIND = "run"
ACTIONS = ("sync", "sync-now", "full-sync")
# The counters that are records handled (coupled/uncoupled count couplings, not records).
HANDLED = ("inserted", "modified", "deleted", "unchanged", "skipped", "failed")


def entry_name(run_id: str) -> str:
    return f"RUN-{run_id}"


def _cursor(run_id: str) -> str:
    return f"run:{run_id}"


@dataclass
class RunRecord:
    """What a run is doing or did; `result` is the action's own answer once finished."""

    id: str
    action: str
    params: dict[str, Any]
    requested_at: str
    status: str = "queued"  # queued | running | finished
    started_at: str | None = None
    finished_at: str | None = None
    current: str | None = None
    records: int = 0
    failed: int = 0
    jobs: list[str] = field(default_factory=list)
    ok: bool | None = None
    summary: str = ""
    result: dict[str, Any] = field(default_factory=dict)


def load(state: StatePort, run_id: str) -> RunRecord | None:
    raw = state.cursor(_cursor(run_id))
    return RunRecord(**json.loads(raw)) if raw else None


def _save(state: StatePort, record: RunRecord) -> None:
    state.save_cursor(_cursor(record.id), json.dumps(asdict(record), default=str))


def covers(active: Mapping[str, Any], action: str, params: Mapping[str, Any]) -> bool:
    """Whether a queued or running run (its entry's payload) does all a new request asks,
    so the request joins it (docs/behaviour.md §1.5): a sync of every mapping, or of these
    among others, in both directions or the one asked, full when a full one is asked; any
    other run only the same request."""
    if active.get("action") != action:
        return False
    done = dict(active.get("params") or {})
    if action != "sync":
        return done == dict(params)
    if done.get("direction") not in (None, params.get("direction")):
        return False
    if params.get("full") and not done.get("full"):
        return False
    wanted, has = params.get("mappings"), done.get("mappings")
    return has is None or (wanted is not None and set(wanted) <= set(has))


# The statuses of a run's entry while it waits for its turn or runs: a request may join it.
ACTIVE = frozenset({JobStatus.READY, JobStatus.IN_PROCESS})


def covering(
    entries: Sequence[JobEntry], action: str, params: Mapping[str, Any]
) -> JobEntry | None:
    """The entry of a queued or running run that covers this request, if any."""
    return next(
        (
            e
            for e in entries
            if e.kind == KIND and e.status in ACTIVE and covers(e.payload, action, params)
        ),
        None,
    )


def request(
    queue: JobQueuePort,
    state: StatePort,
    run_id: str,
    action: str,
    params: Mapping[str, Any],
    now: dt.datetime,
) -> RunRecord:
    """Queues a run: due at once, two attempts, 30 s apart (Business Central's one-off jobs),
    unless a queued or running run covers it: then the request joins that run, whose
    record this returns (`record.id != run_id`)."""
    if action not in ACTIONS:
        raise ConfigError(f"No run named {action}; there are {', '.join(ACTIONS)}.")
    record = RunRecord(run_id, action, dict(params), now.isoformat())
    # Saved before the entry exists, so a worker never finds an entry without its record.
    _save(state, record)
    entry = JobEntry(
        name=entry_name(run_id),
        kind=KIND,
        max_attempts=2,
        rerun_delay_seconds=30,
        next_run_at=now,
        one_off=True,
        payload={"run": run_id, "action": action, "params": dict(params)},
        description=f"{action} requested {now:%Y-%m-%d %H:%M:%S}",
    )

    joined = queue.add_unless(entry, lambda active: covering(active, action, params))
    if joined is None:
        return record
    other = load(state, str(joined.payload.get("run", "")))
    if other is None:  # the entry of a run whose record is gone cannot be followed
        raise ConfigError(f"The run of job queue entry {joined.name} is not recorded.")
    record.status, record.finished_at = "finished", now.isoformat()
    record.summary = f"Joined run {other.id}, which was already queued or running."
    record.result = {"joined": other.id}
    _save(state, record)
    return other


class _Progress:
    """Keeps the record up to date while the run goes, one state write per page."""

    def __init__(self, ctx: Context, record: RunRecord) -> None:
        self.ctx, self.record = ctx, record
        self.done: dict[str, JobLog] = {}

    def page(self, job: JobLog) -> None:
        self.done[job.id] = job
        self.record.current = job.mapping
        self._count()
        _save(self.ctx.state, self.record)

    def finish(self, jobs: Sequence[JobLog]) -> None:
        self.done.update({j.id: j for j in jobs})
        self._count()

    def _count(self) -> None:
        jobs = self.done.values()
        self.record.jobs = list(self.done)
        self.record.records = sum(getattr(j, name) for j in jobs for name in HANDLED)
        self.record.failed = sum(j.failed for j in jobs)


def perform(ctx: Context, entry: JobEntry) -> RunOutcome:
    """Runs a queued run (the worker calls this for entries of kind `run`)."""
    record = load(ctx.state, str(entry.payload.get("run", "")))
    if record is None:
        raise ConfigError(f"The run of job queue entry {entry.name} is not recorded.")
    record.status, record.started_at = "running", ctx.clock().isoformat()
    _save(ctx.state, record)
    progress = _Progress(ctx, record)
    working = replace(ctx, on_page=progress.page)
    p = record.params
    direction = Direction(p["direction"]) if p.get("direction") else None
    if record.action == "sync":
        jobs = synchronize_many(
            working, p.get("mappings") or None, direction=direction, full=bool(p.get("full"))
        )
        progress.finish(jobs)
        record.result = {"jobs": [shapes.job(j) for j in jobs], "failed": record.failed}
        record.summary = _counts(jobs)
    elif record.action == "sync-now":
        name = str(p["mapping"])
        result = synchronize_now(
            working,
            name,
            direction or ctx.mapping(name).direction,
            erp_ids=p.get("erp_ids") or (),
            crm_ids=p.get("crm_ids") or (),
            from_couplings=bool(p.get("from_couplings")),
        )
        progress.finish(list(result.jobs))
        record.result, record.summary = shapes.sync_now(result), result.summary
    else:
        full_sync.review(working)
        lines = full_sync.start(working)
        failed = [x.name for x in lines if shapes.line_failed(x)]
        ids = [j for x in lines for j in (x.erp_to_crm_job, x.crm_to_erp_job, x.coupling_job)]
        record.jobs = list(dict.fromkeys([*record.jobs, *(j for j in ids if j)]))
        record.result = {"lines": [shapes.full_sync_line(x) for x in lines], "failed": failed}
        record.summary = (
            f"Full synchronization finished with errors in {', '.join(failed)}."
            if failed
            else "Full synchronization finished."
        )
    record.ok = not record.failed and not record.result.get("failed")
    record.status, record.current = "finished", None
    record.finished_at = ctx.clock().isoformat()
    _save(ctx.state, record)
    return RunOutcome(idle=False)


def _counts(jobs: Sequence[JobLog]) -> str:
    total = {k: sum(getattr(j, k) for j in jobs) for k in ("inserted", "modified", "failed")}
    return (
        f"{len(jobs)} job(s): {total['inserted']} inserted, {total['modified']} modified, "
        f"{total['failed']} failed."
    )


def status(queue: JobQueuePort, state: StatePort, run_id: str) -> dict[str, Any] | None:
    """The run as a person polling it sees it: the record, with the queue entry's status
    while it waits, runs or failed (None: no such run)."""
    record = load(state, run_id)
    if record is None:
        return None
    entry = queue.get(entry_name(run_id))
    shown = asdict(record)
    if record.status != "finished":
        if entry is None:
            shown["status"] = "lost"
        elif entry.status is JobStatus.IN_PROCESS:
            shown["status"] = "running"
        elif entry.status is JobStatus.ERROR:
            shown["status"] = "error"
        elif entry.attempts:
            shown["status"] = "retrying"
        shown["error"] = entry.last_error if entry else None
    shown["entry"] = shapes.queue_entry(entry) if entry else None
    return shown
