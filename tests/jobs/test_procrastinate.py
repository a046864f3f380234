"""Job queue entries run through procrastinate on PostgreSQL: the tick defers due entries,
a lock per entry keeps one mapping from running twice at once across workers, and the SQL
job queue keeps the schedule."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest

from couplet.engine.schedule import JobEntry, JobStatus, RunOutcome
from couplet.jobs.procrastinate_backend import ProcrastinateBackend, conninfo, ensure_schema
from couplet.store.db import make_engine, migrate
from couplet.store.job_queue import SqlJobQueue
from tests.conftest import POSTGRES_URL, fresh_databases
from tests.jobs.test_worker import T0, Clock

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="COUPLET_TEST_POSTGRES_URL not set"),
]


@pytest.fixture
def pg_url(tmp_path: object) -> Iterator[str]:
    with fresh_databases("postgres", tmp_path, ["jobs"]) as (url,):  # type: ignore[arg-type]
        yield url


@pytest.fixture
def queue(pg_url: str) -> Iterator[SqlJobQueue]:
    engine = make_engine(pg_url)
    migrate(engine)
    yield SqlJobQueue(engine)
    engine.dispose()


def _entry(name: str = "CUSTOMER") -> JobEntry:
    return JobEntry(
        name=name,
        kind="mapping",
        interval_seconds=1800,
        inactivity_timeout_minutes=720,
        max_attempts=3,
        rerun_delay_seconds=30,
        next_run_at=T0,
    )


def _jobs(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT args->>'name', status::text FROM procrastinate_jobs "
            "WHERE task_name = 'couplet.run_entry' ORDER BY id"
        ).fetchall()
    return [(str(a), str(b)) for a, b in rows]


def test_schema_is_created_once(pg_url: str) -> None:
    dsn = conninfo(pg_url)
    assert ensure_schema(dsn) is True
    assert ensure_schema(dsn) is False


def test_a_due_entry_is_deferred_once_and_runs_once(pg_url: str, queue: SqlJobQueue) -> None:
    dsn = conninfo(pg_url)
    ensure_schema(dsn)
    clock = Clock()
    queue.upsert(_entry())
    queue.upsert(replace(_entry("LATER"), next_run_at=T0.replace(hour=9)))
    ran: list[str] = []

    def run(entry: JobEntry) -> RunOutcome:
        ran.append(entry.name)
        return RunOutcome(idle=False)

    one = ProcrastinateBackend(dsn, queue, run, clock, name="w1")
    two = ProcrastinateBackend(dsn, queue, run, clock, name="w2")

    async def ticks() -> tuple[list[str], list[str]]:
        async with one.app.open_async(), two.app.open_async():
            return await one.defer_due(), await two.defer_due()

    first, second = asyncio.run(ticks())
    assert first == ["CUSTOMER"]  # LATER is not due
    assert second == []  # already waiting: the queueing lock keeps a second one out
    two.run_until_idle()
    one.run_until_idle()
    assert ran == ["CUSTOMER"]
    stored = queue.get("CUSTOMER")
    assert stored is not None and stored.status is JobStatus.READY
    assert stored.last_run_at == T0 and stored.next_run_at == T0.replace(minute=30)


def test_two_workers_never_run_one_mapping_at_once(pg_url: str, queue: SqlJobQueue) -> None:
    dsn = conninfo(pg_url)
    ensure_schema(dsn)
    clock = Clock()
    queue.upsert(_entry())
    inside, release = threading.Event(), threading.Event()
    running: list[str] = []
    most = [0]

    def slow(entry: JobEntry) -> RunOutcome:
        running.append(entry.name)
        most[0] = max(most[0], len(running))
        inside.set()
        release.wait(30)
        running.remove(entry.name)
        return RunOutcome(idle=False)

    one = ProcrastinateBackend(dsn, queue, slow, clock, name="w1")
    two = ProcrastinateBackend(dsn, queue, slow, clock, name="w2")
    first = threading.Thread(target=one.run_until_idle)
    first.start()
    try:
        assert inside.wait(30)

        # While the first run is going, the entry is deferred again (its waiting job was
        # taken) - but the lock keeps the second worker from starting it.
        async def tick() -> list[str]:
            async with two.app.open_async():
                queue.upsert(replace(queue.get("CUSTOMER"), status=JobStatus.READY))  # type: ignore[arg-type]
                return await two.defer_due()

        assert asyncio.run(tick()) == ["CUSTOMER"]
        two.run_until_idle()
        assert [s for _, s in _jobs(dsn)].count("todo") == 1  # left waiting for the lock
    finally:
        release.set()
        first.join(60)
    assert most[0] == 1


def test_a_running_worker_ticks_by_itself_and_stops_when_asked(
    pg_url: str, queue: SqlJobQueue
) -> None:
    clock = Clock()
    queue.upsert(_entry())
    ran = threading.Event()

    def run(entry: JobEntry) -> RunOutcome:
        ran.set()
        return RunOutcome(idle=True)

    backend = ProcrastinateBackend(conninfo(pg_url), queue, run, clock, tick_seconds=1)
    stop = threading.Event()
    worker = threading.Thread(target=backend.run_forever, args=(stop,))
    worker.start()
    try:
        assert ran.wait(60), "no tick deferred the due entry"
    finally:
        stop.set()
        worker.join(60)
    assert not worker.is_alive()
    stored = queue.get("CUSTOMER")
    assert stored is not None and stored.status is JobStatus.ON_HOLD_INACTIVITY
