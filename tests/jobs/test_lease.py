"""Holding mappings' leases for a run: the heartbeat keeps a long run's lease, a busy
mapping is waited for (bounded) or named with the job that has it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from couplet.jobs.lease import MappingBusy, hold
from couplet.store.db import make_engine, migrate
from couplet.store.leases import SqlLeases
from tests.jobs.test_worker import Clock

TTL = dt.timedelta(seconds=60)


class Renewals(SqlLeases):
    """SQL leases that let a test wait for the heartbeat's next renewals."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.count = 0
        self.changed = threading.Condition()

    def renew(self, names: Sequence[str], holder: str, now: dt.datetime, ttl: dt.timedelta) -> int:
        renewed = super().renew(names, holder, now, ttl)
        with self.changed:
            self.count += 1
            self.changed.notify_all()
        return renewed

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.count >= count, timeout=30)


@pytest.fixture
def leases(database_url: str) -> Iterator[Renewals]:
    engine = make_engine(database_url)
    migrate(engine)
    yield Renewals(engine)
    engine.dispose()


def _run_holding(leases: Renewals, clock: Clock, job: str, **options: Any) -> None:
    with hold(leases, ["CUSTOMER"], job, clock, ttl=TTL, **options):
        pass


def test_the_heartbeat_keeps_a_long_runs_lease(leases: Renewals) -> None:
    clock = Clock()
    with hold(leases, ["CUSTOMER"], "job-long", clock, ttl=TTL, beat_every=0.01):
        # Ten minutes pass in the run, 50 s at a time; after each step the heartbeat renews
        # the lease (waiting for two renewals: one surely read the clock after the step).
        for _ in range(12):
            clock.advance(seconds=50)
            leases.wait_for(leases.count + 2)
            busy = leases.acquire(["CUSTOMER"], "other", "job-other", clock.now, TTL)
            assert busy == ("CUSTOMER", "job-long")
    # Leaving gives the lease back at once.
    assert leases.held() == {}


def test_without_a_heartbeat_the_lease_is_taken_over_after_the_time_to_live(
    leases: Renewals,
) -> None:
    clock = Clock()
    # A run whose process died: it took the lease and never renewed it.
    assert leases.acquire(["CUSTOMER"], "dead", "job-dead", clock.now, TTL) is None
    clock.advance(seconds=59)
    with pytest.raises(MappingBusy, match=r"^CUSTOMER is running in job job-dead\.$"):
        _run_holding(leases, clock, "job-new")
    clock.advance(seconds=2)
    with hold(leases, ["CUSTOMER"], "job-new", clock, ttl=TTL):
        assert leases.held() == {"CUSTOMER": "job-new"}


def test_a_busy_mapping_is_waited_for_until_it_is_free(leases: Renewals) -> None:
    clock = Clock()
    assert leases.acquire(["CUSTOMER"], "a", "job-a", clock.now, TTL) is None
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:  # the other run ends
            leases.release(["CUSTOMER"], "a")

    with hold(leases, ["CUSTOMER", "CONTACT"], "job-b", clock, wait=60, pause=pause):
        assert leases.held() == {"CUSTOMER": "job-b", "CONTACT": "job-b"}
    assert pauses == [0.05, 0.1, 0.2]


def test_waiting_is_bounded_and_ends_naming_the_job(leases: Renewals) -> None:
    clock = Clock()
    assert leases.acquire(["CUSTOMER"], "a", "job-a", clock.now, TTL) is None
    pauses: list[float] = []
    with pytest.raises(MappingBusy) as busy:
        _run_holding(leases, clock, "job-b", wait=1.0, pause=pauses.append)
    assert (busy.value.mapping, busy.value.job) == ("CUSTOMER", "job-a")
    assert sum(pauses) >= 1.0 and pauses[:3] == [0.05, 0.1, 0.2]
    assert leases.held() == {"CUSTOMER": "job-a"}
