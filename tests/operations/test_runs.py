"""How the worker dispatches job queue entries, and waiting for a run another worker has."""

from __future__ import annotations

from pathlib import Path

import pytest

from couplet.engine import runs as engine_runs
from couplet.engine.errors import ConfigError
from couplet.engine.schedule import JobEntry
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
