"""Job queue entries and what happens to them after a run (Business Central's job queue).

A recurring entry runs every `interval`; when a run changed nothing it goes on hold for the
inactivity timeout ("On Hold with Inactivity Timeout") until woken by a change; a failing
run is retried after the rerun delay until `max_attempts` is reached, then it stays in
Error until someone restarts it. One-off entries (synchronize now, coupling jobs) are
removed once they succeed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum


class JobStatus(StrEnum):
    READY = "ready"
    IN_PROCESS = "in-process"
    ON_HOLD = "on-hold"
    ON_HOLD_INACTIVITY = "on-hold-inactivity"
    ERROR = "error"
    FINISHED = "finished"


@dataclass(frozen=True)
class JobEntry:
    """One job queue entry. `name` is unique: a mapping name, or a job such as `STATISTICS`."""

    name: str
    kind: str  # "mapping" | "statistics" | "orders" | ... (what the runner should do)
    interval_seconds: int = 1800
    inactivity_timeout_minutes: int = 0
    max_attempts: int = 10
    rerun_delay_seconds: int = 30
    status: JobStatus = JobStatus.READY
    next_run_at: dt.datetime | None = None
    attempts: int = 0
    last_run_at: dt.datetime | None = None
    last_error: str | None = None
    one_off: bool = False
    payload: Mapping[str, object] = field(default_factory=dict)
    description: str = ""

    def is_due(self, now: dt.datetime) -> bool:
        runnable = self.status in (JobStatus.READY, JobStatus.ON_HOLD_INACTIVITY)
        return runnable and (self.next_run_at is None or self.next_run_at <= now)


@dataclass(frozen=True)
class RunOutcome:
    """How a run went: idle (nothing written or failed) or not, or an error message."""

    idle: bool = False
    error: str | None = None


def after_run(entry: JobEntry, outcome: RunOutcome, now: dt.datetime) -> JobEntry:
    if outcome.error is not None:
        attempts = entry.attempts + 1
        if attempts < entry.max_attempts:
            return replace(
                entry,
                status=JobStatus.READY,
                attempts=attempts,
                last_run_at=now,
                last_error=outcome.error,
                next_run_at=now + dt.timedelta(seconds=entry.rerun_delay_seconds),
            )
        return replace(
            entry,
            status=JobStatus.ERROR,
            attempts=attempts,
            last_run_at=now,
            last_error=outcome.error,
            next_run_at=None,
        )
    if entry.one_off:
        return replace(
            entry,
            status=JobStatus.FINISHED,
            attempts=0,
            last_run_at=now,
            last_error=None,
            next_run_at=None,
        )
    if outcome.idle and entry.inactivity_timeout_minutes > 0:
        return replace(
            entry,
            status=JobStatus.ON_HOLD_INACTIVITY,
            attempts=0,
            last_run_at=now,
            last_error=None,
            next_run_at=now + dt.timedelta(minutes=entry.inactivity_timeout_minutes),
        )
    return replace(
        entry,
        status=JobStatus.READY,
        attempts=0,
        last_run_at=now,
        last_error=None,
        next_run_at=now + dt.timedelta(seconds=entry.interval_seconds),
    )


def wake(entry: JobEntry, now: dt.datetime) -> JobEntry:
    """A change arrived: a sleeping entry becomes due now (a ready one is left as it is)."""
    if entry.status is JobStatus.ON_HOLD_INACTIVITY:
        return replace(entry, status=JobStatus.READY, next_run_at=now)
    return entry


def restart(entry: JobEntry, now: dt.datetime) -> JobEntry:
    """Set an entry in Error or On Hold back to Ready, as a person does after fixing a cause."""
    return replace(entry, status=JobStatus.READY, attempts=0, next_run_at=now)
