"""The worker: claims due job queue entries and runs them, one entry at a time per claim.

Any number of workers may share one database (see `store.job_queue`). A run that raises is
recorded as a failed attempt (retried after the rerun delay). While an entry runs, a
heartbeat renews its claim; a worker that dies mid-run leaves a claim that `recover_stale`
frees once it has not been renewed for `stale_after` - a long run that is alive is never
freed. An entry whose mappings another run holds (`lease.MappingBusy`) is put back, due
again after `BUSY_DELAY`, without counting an attempt (docs/operations.md, "One run per
mapping").
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace

from ..engine.errors import CoupletError
from ..engine.ports import Clock, JobQueuePort
from ..engine.schedule import JobEntry, JobStatus, RunOutcome, after_run
from .lease import TTL, Heartbeat, MappingBusy

log = logging.getLogger(__name__)

Runner = Callable[[JobEntry], RunOutcome]

# How soon an entry put back because its mapping was busy is tried again.
BUSY_DELAY = dt.timedelta(seconds=10)


class Worker:
    def __init__(
        self,
        queue: JobQueuePort,
        run: Runner,
        clock: Clock,
        *,
        stale_after: dt.timedelta = TTL,
        name: str | None = None,
    ) -> None:
        self.queue = queue
        self.run = run
        self.clock = clock
        self.stale_after = stale_after
        self.name = name or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"

    def run_once(self) -> JobEntry | None:
        """Runs the next due entry, if any; returns it as stored after the run."""
        self.queue.recover_stale(self.clock(), self.stale_after)
        return self.run_named(None)

    def run_named(self, name: str | None) -> JobEntry | None:
        """Claims and runs the named entry (any due one for None) if it is due; returns it
        as stored after the run, or None when it was not due or another worker has it."""
        entry = self.queue.claim_due(self.clock(), self.name, name)
        if entry is None:
            return None
        running = replace(entry, status=JobStatus.IN_PROCESS)
        try:
            with Heartbeat(lambda: self._renew(entry.name), self.stale_after.total_seconds() / 4):
                outcome = self.run(running)
        except MappingBusy as busy:
            log.info("job %s waits: %s", entry.name, busy)
            later = replace(entry, next_run_at=self.clock() + BUSY_DELAY, last_error=str(busy))
            self.queue.release(later)
            return later
        except CoupletError as exc:
            outcome = RunOutcome(error=str(exc))
        except Exception as exc:  # a bug must not kill the worker; it is logged and retried
            log.exception("job %s crashed", entry.name)
            outcome = RunOutcome(error=f"{type(exc).__name__}: {exc}")
        done = after_run(entry, outcome, self.clock())
        self.queue.release(done)
        return done

    def _renew(self, name: str) -> None:
        if not self.queue.renew_claim(name, self.name, self.clock()):
            log.error("job %s: the claim was freed while it ran", name)

    def run_until_idle(self, limit: int = 1000) -> int:
        """Runs due entries until none is due (for `couplet worker --once` and tests)."""
        count = 0
        while count < limit and self.run_once() is not None:
            count += 1
        return count

    def run_forever(
        self,
        stop: threading.Event,
        poll_seconds: float = 1.0,
        when_idle: Callable[[], object] | None = None,
        idle_every: dt.timedelta = dt.timedelta(seconds=15),
    ) -> None:
        """Runs due entries until `stop`; between runs, at most every `idle_every`, calls
        `when_idle` (the engine wakes sleeping jobs whose data changed)."""
        last_look = None
        while not stop.is_set():
            if self.run_once() is not None:
                continue
            now = self.clock()
            if when_idle is not None and (last_look is None or now - last_look >= idle_every):
                last_look = now
                try:
                    when_idle()
                except Exception:  # a look that fails is tried again on the next round
                    log.exception("looking for changes failed")
            stop.wait(poll_seconds)
