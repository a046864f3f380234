"""`couplet worker` end to end: scheduled mapping jobs and queued runs are picked up by the
embedded worker (SQLite, PostgreSQL) and by procrastinate (PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli
from tests.integration.test_sync_e2e import _accounts, _seed


def _queued_sync(systems: Systems) -> str:
    """A person's run queued the way the REST API and the admin pages queue it."""
    engine = systems.engine()
    try:
        return engine.queue_sync(["SALESPEOPLE", "CURRENCY", "CUSTOMER"]).id
    finally:
        engine.close()


def _status(systems: Systems, run_id: str) -> dict[str, object]:
    engine = systems.engine()
    try:
        shown = engine.run_status(run_id)
        assert shown is not None
        return shown
    finally:
        engine.close()


@pytest.mark.parametrize("kind", ["embedded", "procrastinate"])
def test_worker_runs_scheduled_jobs_and_queued_runs(systems: Systems, kind: str) -> None:
    if kind == "procrastinate" and not systems.engine_url.startswith("postgresql"):
        refused = cli(systems, "worker", "--once", "--backend", "procrastinate", code=2)
        assert "needs the engine database on PostgreSQL" in refused
        return
    _seed(systems)
    cli(systems, "setup", *SETUP, "--enable")
    cli(systems, "full-sync", "--start")
    before = {j["id"] for j in json.loads(cli(systems, "jobs", "--json", "--limit", "500"))}
    run_id = _queued_sync(systems)
    account = next(iter(_accounts(systems).values()))
    systems.crm.patch(f"accounts({account['accountid']})", {"telephone1": "555-0177"})
    out = cli(systems, "worker", "--once", "--backend", kind)
    assert "Ran" in out
    shown = _status(systems, run_id)
    assert shown["status"] == "finished" and shown["ok"] is True, shown
    jobs = json.loads(cli(systems, "jobs", "--json", "--mapping", "CUSTOMER", "--limit", "500"))
    new = [j for j in jobs if j["id"] not in before]
    assert sum(j["modified"] for j in new) == 1, new  # the change went once, by one run
    engine = systems.engine()
    try:
        entries = {e.name: e for e in engine.queue.entries()}
        assert entries["CUSTOMER"].last_run_at is not None
        assert not [e for e in entries.values() if e.status.value == "in-process"]
        assert f"RUN-{run_id}" not in entries  # one-off entries go once they succeed
    finally:
        engine.close()
    # Auto picks procrastinate on PostgreSQL and the embedded worker on SQLite.
    assert "Ran" in cli(systems, "worker", "--once")
