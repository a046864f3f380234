"""Job queue entries and the worker: schedules, inactivity, retries, one-offs, claims."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from couplet.engine.errors import SyncError
from couplet.engine.schedule import JobEntry, JobStatus, RunOutcome, restart, wake
from couplet.jobs.lease import MappingBusy
from couplet.jobs.worker import BUSY_DELAY, Worker
from couplet.store import tables
from couplet.store.db import make_engine, migrate
from couplet.store.job_queue import SqlJobQueue

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def queue(database_url: str) -> Iterator[SqlJobQueue]:
    engine = make_engine(database_url)
    migrate(engine)
    yield SqlJobQueue(engine)
    engine.dispose()


def _entry(**kw: object) -> JobEntry:
    base = JobEntry(
        name="CUSTOMER",
        kind="mapping",
        interval_seconds=1800,
        inactivity_timeout_minutes=720,
        max_attempts=3,
        rerun_delay_seconds=30,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_recurring_entry_sleeps_when_idle_and_wakes(queue: SqlJobQueue) -> None:
    clock = Clock()
    outcomes = [RunOutcome(idle=False), RunOutcome(idle=True)]
    ran: list[str] = []

    def run(entry: JobEntry) -> RunOutcome:
        ran.append(entry.name)
        assert entry.status is JobStatus.IN_PROCESS
        return outcomes.pop(0)

    queue.upsert(_entry())
    worker = Worker(queue, run, clock)
    done = worker.run_once()
    assert done is not None and done.status is JobStatus.READY
    assert done.next_run_at == T0 + dt.timedelta(minutes=30)
    assert worker.run_once() is None  # not due yet
    clock.advance(minutes=30)
    done = worker.run_once()
    assert done is not None and done.status is JobStatus.ON_HOLD_INACTIVITY
    assert done.next_run_at == clock.now + dt.timedelta(minutes=720)
    stored = queue.get("CUSTOMER")
    assert stored is not None and stored.status is JobStatus.ON_HOLD_INACTIVITY
    queue.upsert(wake(stored, clock.now))
    assert queue.get("CUSTOMER").is_due(clock.now)  # type: ignore[union-attr]
    assert ran == ["CUSTOMER", "CUSTOMER"]


def test_failures_are_retried_then_stop_in_error(queue: SqlJobQueue) -> None:
    clock = Clock()

    def run(entry: JobEntry) -> RunOutcome:
        raise SyncError("the CRM is unreachable")

    queue.upsert(_entry())
    worker = Worker(queue, run, clock)
    first = worker.run_once()
    assert first is not None and first.status is JobStatus.READY and first.attempts == 1
    assert first.next_run_at == T0 + dt.timedelta(seconds=30)
    assert first.last_error == "the CRM is unreachable"
    clock.advance(seconds=30)
    worker.run_once()
    clock.advance(seconds=30)
    last = worker.run_once()
    assert last is not None and last.status is JobStatus.ERROR and last.attempts == 3
    clock.advance(days=1)
    assert worker.run_once() is None
    queue.upsert(restart(last, clock.now))
    assert queue.get("CUSTOMER").is_due(clock.now)  # type: ignore[union-attr]


def test_unexpected_exceptions_do_not_kill_the_worker(queue: SqlJobQueue) -> None:
    queue.upsert(_entry())

    def run(entry: JobEntry) -> RunOutcome:
        raise ZeroDivisionError("bug")

    done = Worker(queue, run, Clock()).run_once()
    assert done is not None and "ZeroDivisionError" in (done.last_error or "")


def test_one_off_entries_disappear_after_success(queue: SqlJobQueue) -> None:
    queue.upsert(_entry(name="SYNC-NOW-1", one_off=True, payload={"ids": ["a"]}))
    seen: list[object] = []

    def run(entry: JobEntry) -> RunOutcome:
        seen.append(entry.payload)
        return RunOutcome()

    Worker(queue, run, Clock()).run_until_idle()
    assert seen == [{"ids": ["a"]}]
    assert queue.get("SYNC-NOW-1") is None


def test_an_entry_never_runs_twice_at_once(queue: SqlJobQueue) -> None:
    queue.upsert(_entry())
    inside, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow(entry: JobEntry) -> RunOutcome:
        runs.append(entry.name)
        inside.set()
        release.wait(5)
        return RunOutcome()

    clock = Clock()
    first = Worker(queue, slow, clock, name="w1")
    thread = threading.Thread(target=first.run_once)
    thread.start()
    assert inside.wait(5)
    second = Worker(queue, slow, clock, name="w2")
    assert second.run_once() is None
    release.set()
    thread.join()
    assert runs == ["CUSTOMER"]


def test_a_dead_workers_claim_is_freed_once_its_heartbeat_has_been_silent(
    queue: SqlJobQueue,
) -> None:
    clock = Clock()
    queue.upsert(_entry())
    assert queue.claim_due(clock.now, "dead-worker") is not None
    assert queue.claim_due(clock.now, "other") is None
    ran: list[str] = []
    worker = Worker(queue, lambda e: ran.append(e.name) or RunOutcome(), clock)
    clock.advance(seconds=59)
    assert worker.run_once() is None and ran == []
    clock.advance(seconds=2)
    worker.run_once()
    assert ran == ["CUSTOMER"]


def test_a_long_run_keeps_its_claim_while_its_heartbeat_beats(queue: SqlJobQueue) -> None:
    clock = Clock()
    queue.upsert(_entry())
    other = Worker(queue, lambda e: RunOutcome(), clock, name="other")
    claimed_at = sa.select(tables.job_queue.c.claimed_at)

    def long_run(entry: JobEntry) -> RunOutcome:
        # Ten minutes pass, 30 s at a time; the heartbeat renews the claim after each step,
        # and the other worker, freeing dead claims, leaves it alone.
        for _ in range(20):
            clock.advance(seconds=30)
            for _ in range(3000):
                with queue.engine.connect() as conn:
                    if conn.execute(claimed_at).scalar_one() == clock.now:
                        break
                threading.Event().wait(0.01)
            else:
                raise AssertionError("the heartbeat never renewed the claim")
            assert other.run_once() is None
        return RunOutcome()

    first = Worker(queue, long_run, clock, name="first", stale_after=dt.timedelta(seconds=0.04))
    # The time to live is tiny so the heartbeat (a quarter of it) beats fast; the clock
    # the claim is judged by is the test's.
    other.stale_after = dt.timedelta(seconds=60)
    done = first.run_once()
    assert done is not None and done.attempts == 0 and done.last_error is None


def test_an_entry_whose_mapping_is_busy_waits_without_using_an_attempt(
    queue: SqlJobQueue,
) -> None:
    clock = Clock()
    queue.upsert(_entry())
    busy = True
    ran: list[str] = []

    def run(entry: JobEntry) -> RunOutcome:
        if busy:
            raise MappingBusy("CUSTOMER", "RUN-abc")
        ran.append(entry.name)
        return RunOutcome()

    worker = Worker(queue, run, clock)
    put_back = worker.run_once()
    assert put_back is not None and put_back.status is JobStatus.READY
    stored = queue.get("CUSTOMER")
    assert stored is not None and stored.attempts == 0 and stored.status is JobStatus.READY
    assert stored.next_run_at == clock.now + BUSY_DELAY
    assert stored.last_error == "CUSTOMER is running in job RUN-abc."
    assert worker.run_once() is None  # not due again yet
    busy = False
    clock.advance(seconds=BUSY_DELAY.total_seconds())
    worker.run_once()
    assert ran == ["CUSTOMER"]


def test_schema_has_the_job_queue(queue: SqlJobQueue) -> None:
    assert "job_queue" in sa.inspect(queue.engine).get_table_names()
