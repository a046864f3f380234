"""Job queue entries in SQL, claimed atomically so two workers never run one entry at once.

On PostgreSQL the claim is `SELECT … FOR UPDATE SKIP LOCKED` then an update in the same
transaction, so any number of `couplet worker` processes can share one database. On SQLite
the database's single writer gives the same guarantee within one machine.

A claim is kept alive by its worker's heartbeat (`renew_claim`, every few seconds while the
entry runs); `recover_stale` frees only claims whose heartbeat stopped, never a long run
that is alive (docs/operations.md, "One run per mapping").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from ..engine import runs
from ..engine.schedule import JobEntry, JobStatus
from . import tables as t

FIELDS = (
    "kind",
    "interval_seconds",
    "inactivity_timeout_minutes",
    "max_attempts",
    "rerun_delay_seconds",
    "status",
    "next_run_at",
    "attempts",
    "last_run_at",
    "last_error",
    "one_off",
    "payload",
    "description",
)


def _entry(row: Any) -> JobEntry:
    return JobEntry(
        name=row.name,
        kind=row.kind,
        interval_seconds=row.interval_seconds,
        inactivity_timeout_minutes=row.inactivity_timeout_minutes,
        max_attempts=row.max_attempts,
        rerun_delay_seconds=row.rerun_delay_seconds,
        status=JobStatus(row.status),
        next_run_at=row.next_run_at,
        attempts=row.attempts,
        last_run_at=row.last_run_at,
        last_error=row.last_error,
        one_off=bool(row.one_off),
        payload=dict(row.payload or {}),
        description=row.description,
    )


def _values(entry: JobEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in FIELDS}
    values["status"] = entry.status.value
    values["payload"] = dict(entry.payload)
    return values


ACTIVE = [status.value for status in runs.ACTIVE]
# Any constant shared by every couplet process: serializes run requests on PostgreSQL.
REQUEST_LOCK = 0x636F75706C6572


class SqlJobQueue:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def upsert(self, entry: JobEntry) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(t.job_queue.c.name).where(t.job_queue.c.name == entry.name)
            ).first()
            if exists:
                conn.execute(
                    sa.update(t.job_queue)
                    .where(t.job_queue.c.name == entry.name)
                    .values(**_values(entry))
                )
            else:
                conn.execute(sa.insert(t.job_queue).values(name=entry.name, **_values(entry)))

    def add_unless(
        self, entry: JobEntry, joins: Callable[[Sequence[JobEntry]], JobEntry | None]
    ) -> JobEntry | None:
        """Adds the entry unless `joins` picks, among the active entries of its kind, one
        that does its work already; returns that one (None: added). Requests are
        serialized, so two requests at once never both add: on PostgreSQL by a transaction
        advisory lock, on SQLite by writing first (the write lock is taken at once and held
        to the commit; a read first would let two requests read before either writes)."""
        q = t.job_queue.c
        with self.engine.begin() as conn:
            if self.postgres:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REQUEST_LOCK)))
            else:
                conn.execute(sa.update(t.job_queue).where(sa.false()).values(kind=q.kind))
            active = conn.execute(
                sa.select(t.job_queue)
                .where(q.kind == entry.kind, q.status.in_(ACTIVE))
                .order_by(q.next_run_at, q.name)
            )
            joined = joins([_entry(r) for r in active])
            if joined is None:
                conn.execute(sa.insert(t.job_queue).values(name=entry.name, **_values(entry)))
            return joined

    def get(self, name: str) -> JobEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.job_queue).where(t.job_queue.c.name == name)).first()
        return _entry(row) if row else None

    def entries(self) -> list[JobEntry]:
        with self.engine.connect() as conn:
            return [
                _entry(r) for r in conn.execute(sa.select(t.job_queue).order_by(t.job_queue.c.name))
            ]

    def due(self, now: dt.datetime) -> list[JobEntry]:
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(self._due(now))]

    def _due(self, now: dt.datetime) -> sa.Select[Any]:
        q = t.job_queue.c
        return (
            sa.select(t.job_queue)
            .where(
                q.status.in_([JobStatus.READY.value, JobStatus.ON_HOLD_INACTIVITY.value]),
                sa.or_(q.next_run_at.is_(None), q.next_run_at <= now),
            )
            .order_by(q.next_run_at.asc().nulls_first(), q.name)
        )

    def claim_due(self, now: dt.datetime, worker: str, name: str | None = None) -> JobEntry | None:
        q = t.job_queue.c
        due = self._due(now).limit(1)
        if name is not None:
            due = due.where(q.name == name)
        if self.postgres:
            due = due.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            row = conn.execute(due).first()
            if row is None:
                return None
            # The status guard makes the claim safe even without row locks (SQLite).
            claimed = conn.execute(
                sa.update(t.job_queue)
                .where(q.name == row.name, q.status == row.status)
                .values(status=JobStatus.IN_PROCESS.value, claimed_by=worker, claimed_at=now)
            )
            if claimed.rowcount != 1:
                return None
        return _entry(row)

    def renew_claim(self, name: str, worker: str, now: dt.datetime) -> bool:
        """The claiming worker's heartbeat: False when the claim is no longer its own."""
        q = t.job_queue.c
        with self.engine.begin() as conn:
            renewed = conn.execute(
                sa.update(t.job_queue)
                .where(
                    q.name == name, q.claimed_by == worker, q.status == JobStatus.IN_PROCESS.value
                )
                .values(claimed_at=now)
            )
            return renewed.rowcount == 1

    def release(self, entry: JobEntry) -> None:
        with self.engine.begin() as conn:
            if entry.status is JobStatus.FINISHED and entry.one_off:
                conn.execute(sa.delete(t.job_queue).where(t.job_queue.c.name == entry.name))
                return
            conn.execute(
                sa.update(t.job_queue)
                .where(t.job_queue.c.name == entry.name)
                .values(**_values(entry), claimed_by=None, claimed_at=None)
            )

    def delete(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.job_queue).where(t.job_queue.c.name == name))

    def recover_stale(self, now: dt.datetime, older_than: dt.timedelta) -> int:
        """Frees the claims whose heartbeat has not renewed them for `older_than`."""
        q = t.job_queue.c
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(t.job_queue)
                .where(q.status == JobStatus.IN_PROCESS.value, q.claimed_at < now - older_than)
                .values(
                    status=JobStatus.READY.value, claimed_by=None, claimed_at=None, next_run_at=now
                )
            )
            return int(result.rowcount or 0)
