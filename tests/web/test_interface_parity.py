"""The three interfaces set up and enable the integration through the same use cases: the
CLI (`couplet setup --enable`), the REST API (PUT connection, POST enable) and the admin
pages' forms leave the same job queue behind, the flow jobs included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from couplet.cli import common
from couplet.cli.main import app as cli
from couplet.flows.statistics import NAME as STATISTICS_JOB
from couplet.operations.integration import Integration
from couplet.settings import EngineSettings
from couplet.web.app import create_app
from tests.conftest import DatabaseFactory
from tests.connectors.test_identity import certificate_pem
from tests.integration.conftest import SETUP, Systems
from tests.web.conftest import CONNECTION, sign_in

Queue = set[tuple[str, str, int, int, int, str]]

# None: the default switches; else every feature on (each brings flow jobs of its own).
SWITCHES = {
    "defaults": {},
    "all features": {
        "sales_order_integration": True,
        "auto_create_sales_orders": True,
        "auto_process_quotes": True,
        "item_availability": True,
    },
}


@contextmanager
def _integration(url: str) -> Iterator[Integration]:
    integration = common.integration_factory(EngineSettings(database_url=url))
    try:
        yield integration
    finally:
        integration.close()


def _queue(url: str) -> Queue:
    with _integration(url) as integration:
        return {
            (
                e.name,
                e.kind,
                e.interval_seconds,
                e.inactivity_timeout_minutes,
                e.max_attempts,
                e.status.value,
            )
            for e in integration.queue.entries()
        }


def _by_cli(url: str, switches: dict[str, bool]) -> None:
    flags = [f"--{k.replace('_', '-')}" for k in switches]
    result = CliRunner().invoke(cli, ["setup", *SETUP, *flags, "--enable", "--database-url", url])
    assert result.exit_code == 0, result.output


def _by_rest(url: str, switches: dict[str, bool]) -> None:
    with _integration(url) as integration, TestClient(create_app(integration)) as http:
        sign_in(integration, http)
        assert http.put("/api/v1/connection", json={**CONNECTION, **switches}).status_code == 200
        assert http.post("/api/v1/connection/enable").status_code == 200


def _by_forms(url: str, switches: dict[str, bool]) -> None:
    with _integration(url) as integration, TestClient(create_app(integration)) as http:
        csrf = sign_in(integration, http)
        for path, data in (
            ("/connection", {**CONNECTION, **{k: "true" for k in switches}}),
            ("/connection/enable", {}),
        ):
            r = http.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)
            assert r.status_code == 303 and "level=ok" in r.headers["location"], r.headers


@pytest.mark.parametrize("switches", SWITCHES.values(), ids=list(SWITCHES))
def test_cli_rest_and_forms_leave_the_same_job_queue(
    systems: Systems, databases: DatabaseFactory, switches: dict[str, bool]
) -> None:
    rest_url, forms_url = databases(["engine_rest", "engine_forms"])
    _by_cli(systems.engine_url, switches)
    _by_rest(rest_url, switches)
    _by_forms(forms_url, switches)

    by_cli = _queue(systems.engine_url)
    assert _queue(rest_url) == by_cli
    assert _queue(forms_url) == by_cli
    names = {entry[0] for entry in by_cli}
    assert STATISTICS_JOB in names and "CUSTOMER" in names
    if switches:
        assert {"ITEM AVAILABILITY", "AUTO CREATE SALES ORDERS"} <= names


def test_cli_rest_and_forms_store_the_same_sign_in_settings(
    systems: Systems, databases: DatabaseFactory, tmp_path: Path
) -> None:
    pem = certificate_pem("couplet engine")
    (tmp_path / "engine.pem").write_text(pem)
    sign_in_values = {
        "crm_authority": "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "erp_authority": "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "erp_scope": "https://api.businesscentral.dynamics.com/.default",
        "crm_scope": "https://org.crm.dynamics.com/.default",
    }
    rest_url, forms_url = databases(["engine_rest", "engine_forms"])
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in sign_in_values.items()]
    flags.append(f"--erp-certificate={tmp_path / 'engine.pem'}")
    result = CliRunner().invoke(
        cli, ["setup", *SETUP, *flags, "--database-url", systems.engine_url]
    )
    assert result.exit_code == 0, result.output
    body = {**CONNECTION, **sign_in_values, "erp_certificate": pem}
    with _integration(rest_url) as integration, TestClient(create_app(integration)) as http:
        sign_in(integration, http)
        put = http.put("/api/v1/connection", json=body)
        assert put.status_code == 200 and "PRIVATE KEY" not in put.text
    with _integration(forms_url) as integration, TestClient(create_app(integration)) as http:
        csrf = sign_in(integration, http)
        r = http.post("/connection", data={**body, "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and "level=ok" in r.headers["location"], r.headers
        page = http.get("/connection").text
        assert sign_in_values["crm_authority"] in page and "PRIVATE KEY" not in page

    stored = []
    for url in (systems.engine_url, rest_url, forms_url):
        with _integration(url) as integration:
            connection = integration.stored_connection()
            assert connection is not None and connection.erp_certificate == pem
            stored.append(connection.redacted())
    assert stored[0] == stored[1] == stored[2]
    assert stored[0]["erp_certificate"] == "********"
    assert stored[0]["crm_authority"] == sign_in_values["crm_authority"]
