"""The engine's REST API: connection, test, job log, errors, job queue."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app as create_crm
from couplet.engine.model import Direction, JobError, JobLog
from couplet.engine.schedule import JobEntry
from couplet.operations import runs
from couplet.settings import CrmSettings, EngineSettings
from couplet.web.app import create_app
from couplet.wiring import open_integration
from tests.web.conftest import sign_in

CRM = "http://crm.test"
T0 = dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC)
BODY = {
    "crm_url": CRM,
    "crm_client_id": "crm-app",
    "crm_client_secret": "crm-pw",
    "erp_url": "http://127.0.0.1:9",
    "erp_client_id": "erp",
    "erp_client_secret": "erp-pw",
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    crm = create_crm(
        CrmSettings(
            database_url=f"sqlite:///{tmp_path}/crm.db",
            admin_client_id="crm-app",
            admin_client_secret="crm-pw",
        )
    )

    def clients(base_url: str) -> httpx.Client:
        return (
            TestClient(crm, base_url=CRM)
            if base_url == CRM
            else httpx.Client(base_url=base_url, timeout=2)
        )

    engine = open_integration(
        EngineSettings(database_url=f"sqlite:///{tmp_path}/engine.db"), client_factory=clients
    )
    with TestClient(create_app(engine)) as client:
        sign_in(engine, client)
        yield client
    engine.close()
    crm.state.engine.dispose()


def test_connection_endpoints(api: TestClient) -> None:
    assert api.get("/api/v1/connection").status_code == 404
    assert api.post("/api/v1/connection/test").status_code == 409
    r = api.put("/api/v1/connection", json={**BODY, "crm_url": "nope"})
    assert r.status_code == 422 and "not an http(s) URL" in r.json()["detail"]
    r = api.put("/api/v1/connection", json=BODY)
    assert r.status_code == 200 and r.json()["crm_client_secret"] == "********"
    assert "crm-pw" not in api.get("/api/v1/connection").text
    result = api.post("/api/v1/connection/test").json()
    assert result["ok"] is False
    checks = {c["name"]: c["ok"] for c in result["checks"]}
    assert checks == {"CRM sign-in": True, "ERP sign-in": False}


def test_job_log_errors_and_queue(api: TestClient) -> None:
    engine = api.app.state.integration  # type: ignore[attr-defined]
    engine.state.save_job(
        JobLog(
            id="j1",
            mapping="CUSTOMER",
            direction=Direction.ERP_TO_CRM,
            started_at=T0,
            finished_at=T0,
            inserted=2,
            failed=1,
        )
    )
    engine.state.add_errors([JobError("j1", "CUSTOMER", "e1", None, "must be coupled", T0)])
    engine.queue.upsert(JobEntry(name="CUSTOMER", kind="mapping"))
    jobs = api.get("/api/v1/jobs").json()
    assert jobs[0]["id"] == "j1" and jobs[0]["inserted"] == 2 and jobs[0]["failed"] == 1
    assert set(jobs[0]) >= {
        "mapping",
        "direction",
        "started_at",
        "finished_at",
        "unchanged",
        "coupled",
        "uncoupled",
        "message",
    }
    assert api.get("/api/v1/jobs", params={"mapping": "OTHER"}).json() == []
    errors = api.get("/api/v1/errors", params={"job": "j1"}).json()
    assert errors[0]["source_id"] == "e1" and errors[0]["message"] == "must be coupled"
    assert api.get("/api/v1/job-queue").json()[0]["status"] == "ready"
    assert api.get("/openapi.json").status_code == 200


def test_the_web_apps_embedded_worker_takes_queued_runs(tmp_path: Path) -> None:
    engine = open_integration(EngineSettings(database_url=f"sqlite:///{tmp_path}/engine.db"))
    run_id = runs.request(engine.parts, "sync", {}).id
    try:
        with TestClient(create_app(engine, worker=True)):
            deadline = time.monotonic() + 60
            while engine.run_status(run_id)["status"] in ("queued", "running"):  # type: ignore[index]
                assert time.monotonic() < deadline, "the embedded worker never took the run"
                time.sleep(0.05)
        shown = engine.run_status(run_id)
        # Nothing is set up, so the run fails - in the worker, with the reason kept.
        assert shown is not None and shown["status"] == "retrying"
        assert "not set up" in shown["error"]
    finally:
        engine.close()
