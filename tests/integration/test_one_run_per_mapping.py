"""One run per mapping across processes, workers and interfaces (issue 16): two workers on
one database never run CUSTOMER at once, parallel run requests join one run, and a second
`couplet sync CUSTOMER` says which job runs it instead of crashing.

Each `Integration` here is what a separate process has: its own connection pool on the
shared engine database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from couplet.cli.main import app
from couplet.engine.model import JobLog
from couplet.engine.schedule import JobEntry
from couplet.operations.integration import Integration
from couplet.web.app import create_app
from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli, cli_json, runner
from tests.web.conftest import Web, sign_in, web
from tests.web.test_ui import _post, _run

__all__ = ["web"]

CUSTOMERS = 40


def _seed_and_enable(systems: Systems) -> None:
    for n in range(CUSTOMERS):
        systems.erp.create("customers", {"displayName": f"Customer {n:02}", "city": "Atlanta"})
    cli(systems, "setup", *SETUP, "--enable")
    # What CUSTOMER refers to is coupled first, so the runs below only write customers.
    cli(systems, "sync", "SALESPEOPLE", "CURRENCY", "PAYMENT TERMS", "SHIPMENT METHOD")


@contextmanager
def _engines(systems: Systems, count: int) -> Iterator[list[Integration]]:
    engines = [systems.engine() for _ in range(count)]
    try:
        yield engines
    finally:
        for engine in engines:
            engine.close()


def _at_once(*work: Callable[[], Any]) -> list[Any]:
    """Runs each callable on its own thread, all released together; their results."""
    start = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait(30)
        try:
            results[i] = work[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    return results


def _no_doubles(systems: Systems, engine: Integration) -> None:
    """Each ERP customer once in the CRM, once coupled; nothing created back in the ERP."""
    customers = systems.erp.rows("customers")
    accounts = systems.crm.get(
        "accounts", params={"$filter": "customertypecode eq 3", "$select": "name"}
    ).json()["value"]
    names = sorted(a["name"] for a in accounts)
    assert len(customers) == CUSTOMERS
    assert names == sorted(c["displayName"] for c in customers)
    couplings = [c for page in engine.state.all_couplings("CUSTOMER") for c in page]
    assert len(couplings) == CUSTOMERS
    assert len({c.erp_id for c in couplings}) == len({c.crm_id for c in couplings}) == CUSTOMERS


def _never_overlap(runs: list[list[JobLog]]) -> None:
    """The runs' CUSTOMER passes, run by run: one run's span ends before the next begins."""
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    spans = sorted(
        (min(j.started_at for j in jobs), max(j.finished_at or never for j in jobs))
        for jobs in runs
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, spans


def test_two_workers_never_run_one_mapping_at_once(systems: Systems) -> None:
    _seed_and_enable(systems)
    with _engines(systems, 2) as (first, second):

        def customer_jobs() -> list[JobLog]:
            return first.state.jobs("CUSTOMER")

        # Two people's full runs of CUSTOMER that do not cover each other: two job queue
        # entries, so the queue's claims alone would let two workers run them together.
        one = first.queue_sync(["CUSTOMER"], full=True)
        two = first.queue_sync(["CONTACT", "CUSTOMER"], full=True)
        assert not two.joined
        for engine in (first, second):
            engine.context()  # signed in, so both runs start at once
        done: list[JobEntry | None] = _at_once(
            lambda: first.worker().run_named(f"RUN-{one.id}"),
            lambda: second.worker().run_named(f"RUN-{two.id}"),
        )
        # Whichever came second found CUSTOMER leased and was put back, no attempt used.
        waiting = [e for e in done if e is not None and e.last_error]
        assert len(waiting) == 1, done
        assert waiting[0].attempts == 0
        assert waiting[0].last_error is not None
        assert waiting[0].last_error.startswith("CUSTOMER is running in job ")
        # Its turn comes (BUSY_DELAY later); it finds every customer written already.
        first.queue.upsert(replace(waiting[0], next_run_at=None))
        assert first.worker().run_named(waiting[0].name) is not None
        passes: list[list[JobLog]] = []
        for queued in (one, two):
            shown = first.run_status(queued.id)
            assert shown is not None and shown["status"] == "finished" and shown["ok"], shown
            passes.append([j for j in customer_jobs() if j.id in shown["jobs"]])
        assert [len(p) for p in passes] == [2, 2]  # each run's two directions
        _no_doubles(systems, first)
        assert sum(j.inserted for p in passes for j in p) == CUSTOMERS
        _never_overlap(passes)
        assert first.parts.leases.held() == {}  # type: ignore[attr-defined]


def test_four_parallel_requests_to_sync_a_mapping_make_one_run(systems: Systems) -> None:
    _seed_and_enable(systems)
    body = {"mappings": ["CUSTOMER"], "full": True}
    with _engines(systems, 4) as engines:
        # Four web apps (as four processes would be) on the one engine database.
        apps = [TestClient(create_app(engine)) for engine in engines]
        for engine, http in zip(engines, apps, strict=True):
            sign_in(engine, http)
        answers = _at_once(
            *(lambda http=http: http.post("/api/v1/sync", json=body) for http in apps)
        )
        assert [a.status_code for a in answers] == [202] * 4
        shown = [a.json() for a in answers]
        assert len({s["id"] for s in shown}) == 1, shown
        assert sorted(s["joined"] for s in shown) == [False, True, True, True]
        run_id = shown[0]["id"]
        runs = [e for e in engines[0].queue.entries() if e.kind == "run"]
        assert [e.name for e in runs] == [f"RUN-{run_id}"]
        # A later request, while the run waits, joins it too; so does a narrower one.
        again = apps[1].post("/api/v1/sync", json={"mappings": ["CUSTOMER"]}).json()
        assert (again["id"], again["joined"]) == (run_id, True)
        ran = engines[2].worker().run_until_idle()
        assert ran >= 1
        finished = apps[3].get(f"/api/v1/jobs/queue/{run_id}").json()
        assert finished["status"] == "finished" and finished["ok"] is True, finished
        _no_doubles(systems, engines[0])
        # Once it is over, a new request queues a new run.
        later = apps[0].post("/api/v1/sync", json=body).json()
        assert later["id"] != run_id and later["joined"] is False
        for http in apps:
            http.close()


def test_a_second_couplet_sync_of_a_mapping_says_which_job_runs_it(systems: Systems) -> None:
    _seed_and_enable(systems)
    with _engines(systems, 1) as (other,), other.holding(["CUSTOMER"]):
        # Another `couplet sync CUSTOMER` (or a worker) is running it.
        busy = runner.invoke(app, ["sync", "CUSTOMER", "--database-url", systems.engine_url])
        assert busy.exit_code == 1, busy.output
        assert "CUSTOMER is running in job couplet (process " in busy.output
        # An orderly exit with the message, not a crash.
        assert isinstance(busy.exception, SystemExit) and "Traceback" not in busy.output
        # Naming it among others changes nothing: all or none.
        assert "CUSTOMER is running" in cli(systems, "sync", "CONTACT", "CUSTOMER", code=1)
        assert other.state.jobs("CONTACT") == []
        # Waiting is bounded: the other run does not end, so neither does the wait.
        waited = cli(systems, "sync", "CUSTOMER", "--wait", "0.3", code=1)
        assert "CUSTOMER is running in job couplet (process " in waited
    jobs = cli_json(systems, "sync", "CUSTOMER", "--full")
    assert sum(j["inserted"] for j in jobs) == CUSTOMERS
    engine = systems.engine()
    try:
        _no_doubles(systems, engine)
    finally:
        engine.close()


def test_couplet_sync_joins_a_queued_run_or_names_the_one_running(systems: Systems) -> None:
    _seed_and_enable(systems)
    with _engines(systems, 1) as (engine,):
        # A run queued through the REST API or the admin pages, which another worker took.
        queued = engine.queue_sync(["CUSTOMER"], full=True)
        entry = f"RUN-{queued.id}"
        claimed = engine.queue.claim_due(engine.parts.clock(), "another-worker", entry)
        assert claimed is not None
        running = cli(systems, "sync", "CUSTOMER", "--full", code=1)
        assert f"CUSTOMER is running in job {queued.id}." in running
        assert "Traceback" not in running
        # The worker dies before running it; once freed, `couplet sync` runs it itself.
        engine.queue.release(claimed)
        jobs = cli_json(systems, "sync", "CUSTOMER", "--full")
        assert sum(j["inserted"] for j in jobs) == CUSTOMERS
        shown = engine.run_status(queued.id)
        assert shown is not None and shown["status"] == "finished"
        assert sorted(shown["jobs"]) == sorted(j["id"] for j in jobs)
        assert engine.queue.get(entry) is None
        _no_doubles(systems, engine)
        # With nothing queued, it runs the mappings itself (and queues nothing).
        out = cli(systems, "sync", "CUSTOMER")
        assert "Joining" not in out and "Synchronization jobs" in out
        assert [e for e in engine.queue.entries() if e.kind == "run"] == []


def test_the_admin_pages_join_a_run_already_queued(web: Web) -> None:
    web.seed()
    web.enable()
    first, queued, _ = _post(web, "/mappings/CUSTOMER/sync", {"direction": "erp-to-crm"})
    again, joined, level = _post(web, "/mappings/CUSTOMER/sync", {"direction": "erp-to-crm"})
    assert queued == "Queued: the worker runs it."
    assert (again, joined, level) == (first, "Already queued or running: joined that run.", "ok")
    # The REST API's request for the same joins it as well, and says so.
    answer = web.http.post(
        "/api/v1/sync", json={"mappings": ["CUSTOMER"], "direction": "erp-to-crm"}
    ).json()
    assert (f"/runs/{answer['id']}", answer["joined"]) == (first, True)
    assert "finished" in _run(web, first)
