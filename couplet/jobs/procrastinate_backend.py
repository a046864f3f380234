"""Running job queue entries through procrastinate, for workers on many machines.

How the two queues fit together (one source of truth, one transport):

- The engine's SQL job queue stays the source of truth: schedules, status, attempts,
  inactivity, one-off runs, what the UI and `couplet jobs` show. Nothing about *when* a
  job runs lives in procrastinate.
- procrastinate only dispatches. A periodic task, the *scheduler tick* (every few seconds;
  procrastinate defers each tick once whatever the number of workers), looks at the due
  entries and defers one `couplet.run_entry(name)` job per entry, with `queueing_lock=name`
  (at most one waiting per entry) and `lock=name` (at most one running per entry). That
  alone does not keep a mapping from running twice (a queued run is an entry of its own);
  the mapping leases the run takes do (`jobs/lease.py`).
- `run_entry` claims the entry in SQL before running it (the same claim the embedded worker
  uses), so a job that arrives late - the entry already ran, or an embedded worker has it -
  does nothing. The entry's state after the run is written back to the SQL queue.

The tick also frees claims of dead workers (heartbeat silent) and wakes sleeping entries
whose data changed.
procrastinate's tables are created on worker start when missing (under an advisory lock, so
workers starting together create them once).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

import procrastinate
import psycopg
from procrastinate import exceptions as pexc
from procrastinate.schema import SchemaManager

from ..engine.ports import Clock, JobQueuePort
from .lease import TTL
from .worker import Runner, Worker

log = logging.getLogger(__name__)

RUN_TASK = "couplet.run_entry"
TICK_TASK = "couplet.tick"
# Any constant shared by every couplet process: serializes creating procrastinate's tables.
SCHEMA_LOCK = 0x636F75706C6574


def conninfo(database_url: str) -> str:
    """A libpq connection string from the engine's SQLAlchemy URL."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def ensure_schema(dsn: str) -> bool:
    """Creates procrastinate's tables unless they exist; True when it created them."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if found is not None and found[0] is not None:
                return False
            conn.execute(SchemaManager.get_schema())
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


class ProcrastinateBackend:
    """A `couplet worker` that takes its work from procrastinate (see the module's text)."""

    def __init__(
        self,
        dsn: str,
        queue: JobQueuePort,
        run: Runner,
        clock: Clock,
        *,
        when_idle: Callable[[], object] | None = None,
        idle_every: dt.timedelta = dt.timedelta(seconds=15),
        tick_seconds: int = 5,
        stale_after: dt.timedelta = TTL,
        name: str | None = None,
    ) -> None:
        self.dsn = dsn
        self.queue = queue
        self.clock = clock
        self.when_idle = when_idle
        self.idle_every = idle_every.total_seconds()
        self.stale_after = stale_after
        self._last_look: float | None = None
        self.worker = Worker(queue, run, clock, stale_after=stale_after, name=name)
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=dsn),
            # A tick missed while no worker ran is not made up for: the next one sees all.
            periodic_defaults={"max_delay": tick_seconds},
        )
        self.run_task = self.app.task(name=RUN_TASK, pass_context=False)(self._run_entry)
        tick = self.app.task(name=TICK_TASK, pass_context=False, lock=TICK_TASK)(self._tick)
        # croniter reads seconds from a sixth, last column.
        self.app.periodic(cron=f"* * * * * */{tick_seconds}")(tick)

    @property
    def name(self) -> str:
        return self.worker.name

    def _run_entry(self, name: str) -> None:
        done = self.worker.run_named(name)
        if done is not None:
            log.info("job %s ran: %s", name, done.status.value)

    async def _tick(self, timestamp: int | None = None) -> None:
        await asyncio.to_thread(self._look)
        await self.defer_due()

    def _look(self) -> None:
        self.queue.recover_stale(self.clock(), self.stale_after)
        if self.when_idle is None:
            return
        now = time.monotonic()
        if self._last_look is not None and now - self._last_look < self.idle_every:
            return
        self._last_look = now
        try:
            self.when_idle()
        except Exception:  # a look that fails is tried again on a later tick
            log.exception("looking for changes failed")

    async def defer_due(self) -> list[str]:
        """Defers a run of every due entry not already waiting; returns their names."""
        deferred = []
        for entry in await asyncio.to_thread(self.queue.due, self.clock()):
            task = self.run_task.configure(lock=entry.name, queueing_lock=entry.name)
            with contextlib.suppress(pexc.AlreadyEnqueued):
                await task.defer_async(name=entry.name)
                deferred.append(entry.name)
        return deferred

    def _options(self, *, wait: bool) -> dict[str, object]:
        return {
            "name": self.name,
            "wait": wait,
            "install_signal_handlers": False,
            "delete_jobs": "successful",
            "listen_notify": wait,
            "fetch_job_polling_interval": 1.0,
        }

    def run_until_idle(self) -> None:
        """One tick, then the jobs waiting until none is left (`couplet worker --once`)."""
        ensure_schema(self.dsn)

        async def main() -> None:
            async with self.app.open_async():
                await self._tick()
                await self.app.run_worker_async(**self._options(wait=False))  # type: ignore[arg-type]

        asyncio.run(main())

    def run_forever(self, stop: threading.Event) -> None:
        """Works (and ticks) until `stop` is set or, in the main thread, until SIGINT or
        SIGTERM (procrastinate then lets the job in progress finish)."""
        ensure_schema(self.dsn)
        options = self._options(wait=True)
        options["install_signal_handlers"] = threading.current_thread() is threading.main_thread()

        async def main() -> None:
            async with self.app.open_async():
                work = asyncio.create_task(self.app.run_worker_async(**options))  # type: ignore[arg-type]
                while not work.done() and not stop.is_set():
                    await asyncio.wait({work}, timeout=0.5)
                if not work.done():
                    work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work

        asyncio.run(main())
