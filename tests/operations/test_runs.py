"""How the worker dispatches job queue entries, and waiting for a run another worker has."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from couplet.engine import runs as engine_runs
from couplet.engine.errors import ConfigError
from couplet.engine.schedule import JobEntry, JobStatus
from couplet.flows.registry import FLOWS
from couplet.operations import runs
from couplet.settings import EngineSettings
from couplet.wiring import open_integration


def test_every_kind_of_entry_has_a_runner() -> None:
    assert set(runs.KINDS) == {engine_runs.KIND, runs.MAPPING_KIND, *(f.kind for f in FLOWS)}


def test_an_entry_of_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    integration = open_integration(EngineSettings(database_url=f"sqlite:///{tmp_path}/e.db"))
    try:
        with pytest.raises(ConfigError, match="No runner for jobs of kind 'nope'"):
            integration.run_entry(JobEntry(name="X", kind="nope"))
    finally:
        integration.close()


def test_waiting_for_a_run_another_worker_has_looks_less_and_less_often(tmp_path: Path) -> None:
    integration = open_integration(EngineSettings(database_url=f"sqlite:///{tmp_path}/e.db"))
    parts = integration.parts
    try:
        run_id = runs.request(parts, "sync", {}).id
        name = engine_runs.entry_name(run_id)
        assert parts.queue.claim_due(parts.clock(), "another-worker", name) is not None
        pauses: list[float] = []

        def pause(seconds: float) -> None:
            pauses.append(seconds)
            if len(pauses) == 4:  # the other worker's run ends (its entry goes)
                parts.queue.delete(name)

        shown = runs.run_now(parts, integration.worker(), run_id, timeout=60, pause=pause)
        assert shown is not None and shown["status"] == "lost"
        assert pauses == [0.05, 0.1, 0.2, 0.4]
    finally:
        integration.close()


def test_a_run_request_joins_a_queued_or_running_run_that_covers_it(tmp_path: Path) -> None:
    integration = open_integration(EngineSettings(database_url=f"sqlite:///{tmp_path}/e.db"))
    parts = integration.parts

    def sync(mappings: list[str] | None, **more: object) -> runs.Queued:
        return runs.request(
            parts, "sync", {"mappings": mappings, "direction": None, "full": False, **more}
        )

    try:
        full = sync(["CUSTOMER", "CONTACT"], full=True)
        assert not full.joined
        # Narrower, one direction, not full: all done by the full run of both.
        assert sync(["CUSTOMER"]) == runs.Queued(full.id, joined=True)
        assert sync(["CONTACT"], direction="erp-to-crm") == runs.Queued(full.id, joined=True)
        # More than it does: a run of its own.
        more = sync(["CUSTOMER", "ITEM-PRODUCT"])
        assert not more.joined
        every = sync(None)
        assert not every.joined
        assert sync(["SALESPEOPLE"]) == runs.Queued(every.id, joined=True)
        fuller = sync(["SALESPEOPLE"], full=True)
        assert not fuller.joined  # a full run is more
        # Other runs join only the same request; a running one is joined too.
        once = runs.request(parts, "full-sync", {})
        assert parts.queue.claim_due(parts.clock(), "a-worker", f"RUN-{once.id}") is not None
        assert runs.request(parts, "full-sync", {}) == runs.Queued(once.id, joined=True)
        now = {"mapping": "CUSTOMER", "erp_ids": ["e1"], "crm_ids": [], "direction": None}
        first = runs.request(parts, "sync-now", now)
        assert runs.request(parts, "sync-now", now) == runs.Queued(first.id, joined=True)
        other = runs.request(parts, "sync-now", {**now, "erp_ids": ["e2"]})
        assert not other.joined
        others = (more.id, fuller.id, other.id)
        assert [e.name for e in parts.queue.entries() if e.kind == "run"] == sorted(
            f"RUN-{q}" for q in (full.id, every.id, once.id, first.id, *others)
        )
        # A run that is over (out of attempts) is joined no more.
        entry = parts.queue.get(f"RUN-{full.id}")
        assert entry is not None
        parts.queue.upsert(replace(entry, status=JobStatus.ERROR))
        assert not sync(["CUSTOMER", "CONTACT"], full=True).joined
    finally:
        integration.close()
