"""Running job queue entries: what the worker does with each kind of entry, the runs people
queue (synchronize, synchronize now, full synchronization), and waking resting jobs.

One run per mapping (docs/operations.md, "One run per mapping"; docs/behaviour.md §1.5):
every entry runs holding the leases of the mappings it may write, and a run request that a
queued or running run covers joins that run. The CLI, the REST API, the admin pages and
the worker all come through here.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..engine import runs
from ..engine.context import Context
from ..engine.errors import ConfigError
from ..engine.model import Direction
from ..engine.runner import RunOptions, runnable, synchronize
from ..engine.schedule import JobEntry, JobStatus, RunOutcome, wake
from ..engine.wake import has_work
from ..flows.flow import Flow
from ..flows.registry import FLOWS
from ..jobs import lease
from ..jobs.worker import Worker
from .context import context
from .ids import record_ids
from .parts import Parts

MAPPING_KIND = "mapping"
# What a run that is not over yet shows; `run_now` waits while it does.
WAITING = ("queued", "running")


@dataclass(frozen=True)
class JobKind:
    """How the worker runs entries of one kind, and how it tells that a resting one has work."""

    run: Callable[[Context, JobEntry], RunOutcome]
    has_work: Callable[[Context, JobEntry], bool]


def _ids(raw: object) -> tuple[str, ...] | None:
    return tuple(str(i) for i in raw) if isinstance(raw, list | tuple) else None


def _run_mapping(ctx: Context, entry: JobEntry) -> RunOutcome:
    """A recurring entry runs its mapping; a one-off one runs the mapping its payload
    names, for its rows."""
    payload = dict(entry.payload)
    name = str(payload.get("mapping", entry.name))
    options = None
    if entry.one_off:
        direction = payload.get("direction")
        options = RunOptions(
            direction=Direction(str(direction)) if direction else None,
            force_modify=bool(payload.get("force_modify", False)),
            erp_ids=_ids(payload.get("erp_ids")),
            crm_ids=_ids(payload.get("crm_ids")),
        )
    jobs = synchronize(ctx, name, options)
    return RunOutcome(idle=all(j.idle for j in jobs))


def _mapping_has_work(ctx: Context, entry: JobEntry) -> bool:
    return entry.name in ctx.mappings and has_work(ctx, entry.name)


def _flow_kind(flow: Flow) -> JobKind:
    def run(ctx: Context, entry: JobEntry) -> RunOutcome:
        job = flow.run(ctx)
        return RunOutcome(idle=job is None or job.idle)

    return JobKind(run=run, has_work=lambda ctx, entry: flow.has_work(ctx))


KINDS: Mapping[str, JobKind] = {
    runs.KIND: JobKind(run=runs.perform, has_work=lambda ctx, entry: False),
    MAPPING_KIND: JobKind(run=_run_mapping, has_work=_mapping_has_work),
    **{flow.kind: _flow_kind(flow) for flow in FLOWS},
}


def _leased(ctx: Context, entry: JobEntry) -> tuple[list[str], str]:
    """The mappings a run of this entry writes, and the job people are told has them: the
    run's id for a queued run (what they poll), else the entry's name. A flow's entry is
    one of a kind and runs alone already."""
    if entry.kind == MAPPING_KIND:
        return [str(entry.payload.get("mapping", entry.name))], entry.name
    if entry.kind != runs.KIND:
        return [], entry.name
    run_id = str(entry.payload.get("run", ""))
    record = runs.load(ctx.state, run_id)
    params = record.params if record is not None else {}
    if record is not None and record.action == "sync-now":
        return [str(params["mapping"])], run_id
    if record is not None and record.action == "sync" and params.get("mappings"):
        return [str(name) for name in params["mappings"]], run_id
    return list(ctx.mappings), run_id


def run_entry(parts: Parts, entry: JobEntry) -> RunOutcome:
    """What the worker does with a job queue entry: its kind's run, holding its mappings'
    leases (`lease.MappingBusy` when another run has one; the worker tries again later)."""
    kind = KINDS.get(entry.kind)
    if kind is None:
        raise ConfigError(f"No runner for jobs of kind '{entry.kind}'.")
    ctx = context(parts)
    names, job = _leased(ctx, entry)
    with lease.hold(parts.leases, names, job, parts.clock):
        return kind.run(ctx, entry)


@contextmanager
def holding(parts: Parts, mappings: Sequence[str] | None, wait: float = 0.0) -> Iterator[None]:
    """Holds these mappings' leases (all when None) for a run in this process (`couplet
    sync`, `couplet full-sync --start`), waiting up to `wait` seconds for another run to
    finish; `lease.MappingBusy` ("CUSTOMER is running in job …") when it does not."""
    names = list(mappings) if mappings else list(context(parts).mappings)
    job = f"couplet (process {os.getpid()} on {socket.gethostname()})"
    with lease.hold(parts.leases, names, job, parts.clock, wait=wait):
        yield


def wake_changed(parts: Parts) -> list[str]:
    """Wakes the resting jobs that have work: mappings whose data changed on either side,
    flow jobs with something to do (e.g. submitted orders waiting)."""
    sleeping = [e for e in parts.queue.entries() if e.status is JobStatus.ON_HOLD_INACTIVITY]
    if not sleeping:
        return []
    ctx = context(parts)
    woken: list[str] = []
    for entry in sleeping:
        kind = KINDS.get(entry.kind)
        if kind is not None and kind.has_work(ctx, entry):
            parts.queue.upsert(wake(entry, parts.clock()))
            woken.append(entry.name)
    return woken


@dataclass(frozen=True)
class Queued:
    """A run request's answer: the run that does the work, and whether the request joined
    a run already queued or running instead of queueing one."""

    id: str
    joined: bool = False


def request(parts: Parts, action: str, params: Mapping[str, Any]) -> Queued:
    """Queues a run as it is, or joins one that covers it (see engine.runs). People's
    requests go through the `queue_*` functions, which refuse at once what would fail."""
    run_id = uuid.uuid4().hex[:12]
    record = runs.request(parts.queue, parts.state, run_id, action, params, parts.clock())
    return Queued(record.id, joined=record.id != run_id)


def _value(direction: Direction | None) -> str | None:
    return direction.value if direction else None


def queue_sync(
    parts: Parts,
    mappings: Sequence[str] | None = None,
    *,
    direction: Direction | None = None,
    full: bool = False,
) -> Queued:
    """Queues synchronizing modified records of these mappings (all when none). Refused
    now, not in the worker, when not enabled, a mapping is unknown or cannot run as asked
    (`runner.runnable`)."""
    ctx = context(parts)
    for name in mappings or ():
        runnable(ctx, name, direction)
    return request(parts, "sync", _sync_params(mappings, direction, full))


def _sync_params(
    mappings: Sequence[str] | None, direction: Direction | None, full: bool
) -> dict[str, Any]:
    return {
        "mappings": list(mappings) if mappings else None,
        "direction": _value(direction),
        "full": full,
    }


def joinable_sync(
    parts: Parts,
    mappings: Sequence[str] | None = None,
    *,
    direction: Direction | None = None,
    full: bool = False,
) -> str | None:
    """The id of a queued or running run that does this sync already (`couplet sync`
    joins it rather than running the mappings a second time), if any."""
    found = runs.covering(parts.queue.entries(), "sync", _sync_params(mappings, direction, full))
    return str(found.payload["run"]) if found is not None else None


def queue_sync_now(
    parts: Parts,
    mapping: str,
    *,
    erp_ids: Sequence[str] = (),
    crm_ids: Sequence[str] = (),
    direction: Direction | None = None,
    from_couplings: bool = False,
) -> Queued:
    """Queues synchronizing these records of a mapping now; records chosen from the
    couplings list (`from_couplings`) are synchronized even when skipped."""
    runnable(context(parts), mapping, direction)
    params = {
        "mapping": mapping,
        "erp_ids": record_ids(erp_ids, "ERP record"),
        "crm_ids": record_ids(crm_ids, "CRM row"),
        "direction": _value(direction),
        "from_couplings": from_couplings,
    }
    return request(parts, "sync-now", params)


def queue_full_sync(parts: Parts) -> Queued:
    """Queues the full synchronization (refused now when not enabled)."""
    context(parts)
    return request(parts, "full-sync", {})


def status(parts: Parts, run_id: str) -> dict[str, Any] | None:
    return runs.status(parts.queue, parts.state, run_id)


def run_now(
    parts: Parts,
    worker: Worker,
    run_id: str,
    timeout: float = 3600.0,
    pause: Callable[[float], object] | None = None,
) -> dict[str, Any] | None:
    """Runs a queued run in this process (`?wait=true`) and returns how it went. When
    another worker took it first, or another run holds one of its mappings, this waits:
    the queue lives in a shared database with no notification across processes, so it
    looks again (and tries to run it while it waits its turn), less and less often (from
    50 ms up to 2 s), until the run is over or the timeout passes."""
    name = runs.entry_name(run_id)
    worker.run_named(name)
    shown = status(parts, run_id)
    wait = pause if pause is not None else threading.Event().wait
    delay, waited = 0.05, 0.0
    while shown is not None and shown["status"] in WAITING and waited < timeout:
        wait(delay)
        waited += delay
        delay = min(delay * 2, 2.0)
        if shown["status"] != "running":
            worker.run_named(name)
        shown = status(parts, run_id)
    return shown
