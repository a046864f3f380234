"""The `couplet` command line: seeding, the demo, and serving the CRM as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from couplet.apps.crm.seed import open_crm_tx
from couplet.cli.main import app
from tests.helpers import API

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_seed_crm_prints_counts_and_fills_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    result = runner.invoke(
        app,
        [
            "seed",
            "crm",
            "--accounts",
            "5",
            "--products",
            "6",
            "--quotes",
            "2",
            "--orders",
            "1",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "accounts" in result.output and "salesorders" in result.output
    with open_crm_tx(url) as tx:
        assert len(tx.find("account")) == 5 and len(tx.find("contact")) == 10
        assert len(tx.find("product")) == 6 and len(tx.find("quote")) == 2


def test_seed_crm_refuses_a_seeded_database_and_bad_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    assert (
        runner.invoke(app, ["seed", "crm", "--accounts", "2", "--database-url", url]).exit_code == 0
    )
    again = runner.invoke(app, ["seed", "crm", "--accounts", "2", "--database-url", url])
    assert again.exit_code == 2 and "already holds 2 accounts" in again.output
    negative = runner.invoke(app, ["seed", "crm", "--accounts", "-1", "--database-url", url])
    assert negative.exit_code == 2


def test_seed_crm_reads_the_database_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    result = runner.invoke(
        app, ["seed", "crm", "--accounts", "1"], env={"COUPLET_CRM_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    with open_crm_tx(url) as tx:
        assert len(tx.find("account")) == 1


@pytest.mark.slow
def test_demo_runs_both_services_and_a_full_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # A leftover from an earlier demo: the demo starts from fresh databases.
    (tmp_path / ".couplet" / "demo").mkdir(parents=True)
    (tmp_path / ".couplet" / "demo" / "crm.db").write_text("not a database")
    ports = [str(_free_port()) for _ in range(3)]
    result = runner.invoke(
        app,
        [
            "demo",
            "--accounts",
            "12",
            "--customers",
            "5",
            "--crm-port",
            ports[0],
            "--erp-port",
            ports[1],
            "--engine-port",
            ports[2],
            "--stop-after-sync",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Full sync:" in result.output
    assert "Engine web app sign-in: admin / couplet-demo; API token: cpl_" in result.output
    jobs = runner.invoke(
        app,
        ["jobs", "--json", "--limit", "100", "--database-url", "sqlite:///.couplet/demo/engine.db"],
    )
    log = json.loads(jobs.output)
    assert sum(j["inserted"] for j in log if j["mapping"] == "CUSTOMER") > 0
    assert sum(j["coupled"] for j in log if j["mapping"] == "CUSTOMER") > 0
    # Only contacts of accounts that are not customers (the sample's prospects) fail: they
    # have no company in the ERP, as in Business Central.
    assert all(j["failed"] == 0 for j in log if j["mapping"] != "CONTACT")
    errors = json.loads(
        runner.invoke(
            app, ["errors", "--json", "--database-url", "sqlite:///.couplet/demo/engine.db"]
        ).output
    )
    assert all(e["mapping"] == "CONTACT" and "must be coupled" in e["message"] for e in errors)


def test_demo_refuses_a_busy_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = runner.invoke(app, ["demo", "--crm-port", str(busy.getsockname()[1])])
    assert result.exit_code == 2 and "in use" in result.output
    assert not (tmp_path / ".couplet").exists()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 90  # generous: a loaded machine starts slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"couplet serve crm exited with {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"couplet serve crm did not answer within 30 s:\n{log.read_text()}")


@pytest.mark.slow
def test_serve_crm_runs_as_a_process_with_credentials_from_the_environment(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COUPLET_CRM_ADMIN_CLIENT_ID": "cli-admin",
        "COUPLET_CRM_ADMIN_CLIENT_SECRET": "cli-secret",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "couplet.cli.main",
                "serve",
                "crm",
                "--port",
                str(port),
                "--database-url",
                f"sqlite:///{tmp_path}/served.db",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, base + API, log)
        r = httpx.post(
            base + "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "cli-admin",
                "client_secret": "cli-secret",
            },
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = httpx.get(base + API + "accounts", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["value"] == []
        assert httpx.get(base + API + "accounts").status_code == 401
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_serve_all_runs_both_services_and_the_engine(tmp_path: Path) -> None:
    ports = {name: _free_port() for name in ("CRM", "ERP", "ENGINE")}
    env = {
        **os.environ,
        **{f"COUPLET_{n}_PORT": str(p) for n, p in ports.items()},
        "COUPLET_CRM_DATABASE_URL": f"sqlite:///{tmp_path}/crm.db",
        "COUPLET_ERP_DATABASE_URL": f"sqlite:///{tmp_path}/erp.db",
        "COUPLET_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path}/engine.db",
    }
    log = tmp_path / "all.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "couplet.cli.main", "serve", "all"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        _wait_until_up(process, f"http://127.0.0.1:{ports['ENGINE']}/health", log)
        assert httpx.get(f"http://127.0.0.1:{ports['ENGINE']}/health").json() == {"status": "ok"}
        crm = httpx.get(f"http://127.0.0.1:{ports['CRM']}/api/data/v9.2/accounts")
        erp = httpx.get(f"http://127.0.0.1:{ports['ERP']}/api/v2.0/companies")
        assert crm.status_code == erp.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
