"""Mapping leases in SQL (SQLite and PostgreSQL): one holder at a time, all or nothing,
taken over only after the holder's heartbeat has been silent for the time to live, and
across processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from couplet.store.db import make_engine, migrate
from couplet.store.leases import SqlLeases

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=60)


@pytest.fixture
def leases(database_url: str) -> Iterator[SqlLeases]:
    engine = make_engine(database_url)
    migrate(engine)
    yield SqlLeases(engine)
    engine.dispose()


def test_a_lease_has_one_holder_until_released(leases: SqlLeases) -> None:
    assert leases.acquire(["CUSTOMER"], "a", "job-a", T0, TTL) is None
    assert leases.acquire(["CUSTOMER"], "b", "job-b", T0, TTL) == ("CUSTOMER", "job-a")
    assert leases.held() == {"CUSTOMER": "job-a"}
    leases.release(["CUSTOMER"], "b")  # not b's to give back
    assert leases.held() == {"CUSTOMER": "job-a"}
    leases.release(["CUSTOMER"], "a")
    assert leases.acquire(["CUSTOMER"], "b", "job-b", T0, TTL) is None


def test_several_names_are_taken_all_or_none(leases: SqlLeases) -> None:
    assert leases.acquire(["CUSTOMER"], "a", "job-a", T0, TTL) is None
    busy = leases.acquire(["CONTACT", "CUSTOMER", "CURRENCY"], "b", "job-b", T0, TTL)
    assert busy == ("CUSTOMER", "job-a")
    # CONTACT, taken before CUSTOMER was found busy, was given back with it.
    assert leases.held() == {"CUSTOMER": "job-a"}
    assert leases.acquire(["CONTACT", "CURRENCY"], "c", "job-c", T0, TTL) is None


def test_a_lease_is_taken_over_only_after_its_heartbeat_stopped(leases: SqlLeases) -> None:
    assert leases.acquire(["CUSTOMER"], "a", "job-a", T0, TTL) is None
    # Renewed every 50 s for ten minutes: never expires while the holder is alive.
    for beat in range(1, 13):
        now = T0 + dt.timedelta(seconds=50 * beat)
        assert leases.renew(["CUSTOMER"], "a", now, TTL) == 1
        assert leases.acquire(["CUSTOMER"], "b", "job-b", now, TTL) == ("CUSTOMER", "job-a")
    last = T0 + dt.timedelta(seconds=600)
    # The holder stops; just before the time to live it still holds the lease ...
    almost = last + TTL - dt.timedelta(seconds=1)
    assert leases.acquire(["CUSTOMER"], "b", "job-b", almost, TTL) == ("CUSTOMER", "job-a")
    # ... just after, another run takes it over, and the old holder can no longer renew it
    # or give it back.
    after = last + TTL + dt.timedelta(seconds=1)
    assert leases.acquire(["CUSTOMER"], "b", "job-b", after, TTL) is None
    assert leases.renew(["CUSTOMER"], "a", after, TTL) == 0
    leases.release(["CUSTOMER"], "a")
    assert leases.held() == {"CUSTOMER": "job-b"}


def test_of_many_takers_at_once_exactly_one_wins(leases: SqlLeases) -> None:
    takers = 8
    start = threading.Barrier(takers)
    won: list[str] = []

    def take(holder: str) -> None:
        start.wait(30)
        if leases.acquire(["CONTACT", "CUSTOMER"], holder, f"job-{holder}", T0, TTL) is None:
            won.append(holder)

    threads = [threading.Thread(target=take, args=(f"h{i}",)) for i in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(won) == 1
    assert leases.held() == {"CONTACT": f"job-{won[0]}", "CUSTOMER": f"job-{won[0]}"}


HOLDER = """
import datetime as dt, sys
from couplet.store.db import make_engine
from couplet.store.leases import SqlLeases
leases = SqlLeases(make_engine(sys.argv[1]))
now = dt.datetime.now(dt.UTC)
assert leases.acquire(["CUSTOMER"], "other-process", "job-7", now, dt.timedelta(hours=1)) is None
print("held", flush=True)
sys.stdin.readline()
leases.release(["CUSTOMER"], "other-process")
print("released", flush=True)
"""


def test_a_lease_held_by_another_process_is_refused_until_it_gives_it_back(
    leases: SqlLeases, database_url: str
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        try:
            assert other.stdout is not None and other.stdin is not None
            assert other.stdout.readline().strip() == "held"
            now = dt.datetime.now(dt.UTC)
            assert leases.acquire(["CUSTOMER"], "me", "job-8", now, TTL) == ("CUSTOMER", "job-7")
            other.stdin.write("\n")
            other.stdin.flush()
            assert other.stdout.readline().strip() == "released"
            assert leases.acquire(["CUSTOMER"], "me", "job-8", now, TTL) is None
        finally:
            other.kill()
