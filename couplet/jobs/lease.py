"""One run per mapping: holding mappings' leases while a run goes, with a heartbeat.

Whatever runs mappings - a worker running a job queue entry, `couplet sync`, `couplet
full-sync --start` - holds the lease of every mapping it may write first
(docs/operations.md, "One run per mapping"). The lease store (`store/leases.py`) gives a
name to one holder at a time; a heartbeat thread renews the holder's leases while its run
is alive, so a run of hours keeps them, and a holder that died (killed, machine gone) loses
them once its heartbeat has been silent for the time to live.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from ..engine.errors import CoupletError
from ..engine.ports import Clock

log = logging.getLogger(__name__)

# A lease whose heartbeat has been silent this long is taken over; the heartbeat renews it
# four times as often, so a few slow renewals (a busy database) never lose it.
TTL = dt.timedelta(seconds=60)


class LeasePort(Protocol):
    """Leases by name; `store.leases.SqlLeases` in SQL."""

    def acquire(
        self, names: Sequence[str], holder: str, job: str, now: dt.datetime, ttl: dt.timedelta
    ) -> tuple[str, str] | None:
        """All names or none; None when taken, else (a name held, the job holding it)."""
        ...

    def renew(
        self, names: Sequence[str], holder: str, now: dt.datetime, ttl: dt.timedelta
    ) -> int: ...

    def release(self, names: Sequence[str], holder: str) -> None: ...


class MappingBusy(CoupletError):
    """A mapping is leased to another run."""

    def __init__(self, mapping: str, job: str) -> None:
        super().__init__(f"{mapping} is running in job {job}.")
        self.mapping, self.job = mapping, job


def new_holder() -> str:
    """A holder id unique per acquisition, saying where it runs (for people reading the
    table)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


class Heartbeat:
    """Calls `beat` every `every` seconds on a thread of its own, from entering to leaving.
    A beat that fails (the database away for a moment) is logged and tried on the next."""

    def __init__(self, beat: Callable[[], object], every: float) -> None:
        self.beat, self.every = beat, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="couplet-heartbeat", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat failed")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def hold(
    leases: LeasePort,
    names: Sequence[str],
    job: str,
    clock: Clock,
    *,
    ttl: dt.timedelta = TTL,
    wait: float = 0.0,
    pause: Callable[[float], object] | None = None,
    beat_every: float | None = None,
) -> Iterator[str]:
    """Holds the leases of `names` for `job` while the block runs; yields the holder id.

    When another run holds one, this tries again for up to `wait` seconds (from 50 ms up to
    2 s apart), then raises `MappingBusy` naming the mapping and the job that has it."""
    names = sorted(set(names))
    holder = new_holder()
    busy = leases.acquire(names, holder, job, clock(), ttl) if names else None
    sleep = pause if pause is not None else threading.Event().wait
    delay, waited = 0.05, 0.0
    while busy is not None and waited < wait:
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 2.0)
        busy = leases.acquire(names, holder, job, clock(), ttl)
    if busy is not None:
        raise MappingBusy(*busy)
    if not names:
        yield holder
        return

    def beat() -> None:
        if leases.renew(names, holder, clock(), ttl) < len(names):
            # Only after a silence longer than the time to live (a stalled process): the
            # other run may now write too; say so loudly rather than hide it.
            log.error("job %s lost the lease of %s to another run", job, ", ".join(names))

    try:
        with Heartbeat(beat, beat_every if beat_every is not None else ttl.total_seconds() / 4):
            yield holder
    finally:
        leases.release(names, holder)
