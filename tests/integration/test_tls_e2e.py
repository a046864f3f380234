"""Over HTTPS, as against the real services: both reference services run as server processes
with `couplet serve … --tls`; `couplet setup` with authorities signs in through MSAL at their
identity endpoints, trusting the generated CA (COUPLET_ENGINE_CA_BUNDLE), and a full
synchronization runs."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import couplet
from couplet.apps.crm.app import create_app as create_crm
from couplet.apps.crm.app import ensure_application_user
from couplet.apps.crm.security import SYSTEM_ADMINISTRATOR
from couplet.apps.erp.app import create_app as create_erp
from couplet.apps.erp.security import ensure_api_user
from couplet.cli.main import app
from couplet.settings import CrmSettings, ErpSettings
from tests.conftest import DatabaseFactory
from tests.helpers import CrmClient, ErpClient, token_for

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ENGINE = ("engine-app", "engine-pw")
PERSON = ("a-person", "person-pw")
REPO = Path(couplet.__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(crm_url: str, erp_url: str) -> None:
    """Sample data entered as a person would (not as the integration user), before the
    services start as processes of their own on the same databases."""
    crm_app = create_crm(CrmSettings(database_url=crm_url))
    erp_app = create_erp(ErpSettings(database_url=erp_url))
    with crm_app.state.service.system_tx() as tx:
        ensure_application_user(tx, *PERSON, "a person", [SYSTEM_ADMINISTRATOR])
    with erp_app.state.service.system_tx() as tx:
        ensure_api_user(tx, *PERSON)
    # (Signed in here only: the server processes hash secrets at full cost, the tests
    # cheaply, so the person's secret is for this process.)
    with TestClient(crm_app) as crm_http, TestClient(erp_app) as erp_http:
        erp = ErpClient(erp_http, token_for(erp_http, *PERSON))
        for name in ("Adatum Corporation", "Coho Winery"):
            erp.create("customers", {"displayName": name, "city": "Atlanta"})
        crm = CrmClient(crm_http, token_for(crm_http, *PERSON))
        crm.create("accounts", {"name": "Fourth Coffee", "customertypecode": 3})
    crm_app.state.engine.dispose()
    erp_app.state.engine.dispose()


@contextmanager
def _serve(side: str, database_url: str, cwd: Path, ca: Path) -> Iterator[str]:
    """`couplet serve <side> --tls` as a process; yields its https base URL once it answers."""
    port = _free_port()
    prefix = f"COUPLET_{side.upper()}_"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        prefix + "ADMIN_CLIENT_ID": ENGINE[0],
        prefix + "ADMIN_CLIENT_SECRET": ENGINE[1],
    }
    command = [sys.executable, "-m", "couplet.cli.main", "serve", side, "--tls"]
    command += ["--port", str(port), "--database-url", database_url]
    server = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if ca.is_file():
                    answer = httpx.get(
                        f"{base}/contoso/v2.0/.well-known/openid-configuration",
                        verify=ssl.create_default_context(cafile=ca),
                        timeout=2,
                    )
                    if answer.status_code == 200:
                        break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the {side} did not start"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()


def _setup(engine_url: str, *args: str, ca: Path | None) -> tuple[int, str]:
    env = {"COUPLET_ENGINE_CA_BUNDLE": str(ca) if ca else None}
    result = CliRunner().invoke(app, ["setup", *args, "--database-url", engine_url], env=env)
    return result.exit_code, result.output


# TLS and sign-in do not depend on the engine's database; the server processes cost seconds.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_msal_sign_in_over_tls_then_a_full_sync(databases: DatabaseFactory, tmp_path: Path) -> None:
    crm_db, erp_db, engine_url = databases(["crm", "erp", "engine"])
    _seed(crm_db, erp_db)
    ca = tmp_path / ".couplet" / "tls" / "ca.pem"
    with ExitStack() as stack:
        # One after the other: the ERP finds the CA the CRM's start made and uses it too.
        crm = stack.enter_context(_serve("crm", crm_db, tmp_path, ca))
        erp = stack.enter_context(_serve("erp", erp_db, tmp_path, ca))
        setup = [
            "--crm-url",
            crm,
            "--crm-authority",
            f"{crm}/contoso",
            "--crm-client-id",
            ENGINE[0],
            "--crm-client-secret",
            ENGINE[1],
            # Business Central online's shape: the API under the tenant and environment.
            "--erp-url",
            f"{erp}/v2.0/contoso/Production",
            "--erp-authority",
            f"{erp}/contoso",
            "--erp-client-id",
            ENGINE[0],
            "--erp-client-secret",
            ENGINE[1],
        ]
        # Without the CA the engine does not trust the services' certificate.
        code, output = _setup(engine_url, *setup, "--test", ca=None)
        assert code != 0 and "CERTIFICATE_VERIFY_FAILED" in output, output
        assert "COUPLET_ENGINE_CA_BUNDLE" in output
        code, output = _setup(engine_url, "--test", ca=ca)
        assert code == 0, output
        assert "ok CRM sign-in" in output and "ok ERP company" in output
        # A wrong secret is refused by the identity endpoint, with Entra's code.
        code, output = _setup(engine_url, "--erp-client-secret", "wrong", "--test", ca=ca)
        assert code != 0 and "AADSTS7000215" in output and "secret is wrong" in output, output
        code, output = _setup(
            engine_url, "--erp-client-secret", ENGINE[1], "--enable", "--test", ca=ca
        )
        assert code == 0, output
        shown = json.loads(_setup(engine_url, "--show", "--json", ca=ca)[1])
        assert shown["erp_scope"] == "https://api.businesscentral.dynamics.com/.default"
        assert shown["crm_scope"] == f"{crm}/.default"

        done = CliRunner().invoke(
            app,
            ["full-sync", "--start", "--json", "--database-url", engine_url],
            env={"COUPLET_ENGINE_CA_BUNDLE": str(ca)},
        )
        assert done.exit_code == 0, done.output
        runs = json.loads(done.output)
        failed = [r for r in runs if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
        assert not failed, failed

        with httpx.Client(base_url=crm, verify=ssl.create_default_context(cafile=ca)) as http:
            token = http.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials", "client_id": ENGINE[0]}
                | {"client_secret": ENGINE[1]},
            ).json()["access_token"]
            answer = http.get(
                "/api/data/v9.2/accounts",
                params={"$filter": "customertypecode eq 3", "$select": "name"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
        # The context URL names the service as the request reached it: https, host, port.
        assert answer["@odata.context"].startswith(f"{crm}/api/data/v9.2/$metadata#accounts")
        assert {a["name"] for a in answer["value"]} == {
            "Adatum Corporation",
            "Coho Winery",
            "Fourth Coffee",
        }
        with httpx.Client(base_url=erp, verify=ssl.create_default_context(cafile=ca)) as http:
            token = http.post(
                "/contoso/oauth2/v2.0/token",
                data={"grant_type": "client_credentials", "client_id": ENGINE[0]}
                | {"client_secret": ENGINE[1]}
                | {"scope": "https://api.businesscentral.dynamics.com/.default"},
            ).json()["access_token"]
            companies = http.get(
                "/api/v2.0/companies", headers={"Authorization": f"Bearer {token}"}
            ).json()
            company = companies["value"][0]["id"]
            customers = http.get(
                f"/api/v2.0/companies({company})/customers",
                headers={"Authorization": f"Bearer {token}"},
            ).json()
        assert companies["@odata.context"].startswith(f"{erp}/api/")
        assert {"Adatum Corporation", "Coho Winery", "Fourth Coffee"} <= {
            c["displayName"] for c in customers["value"]
        }


def test_serve_engine_with_tls_answers_over_https(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "couplet.cli.main", "serve", "engine", "--tls"]
    command += ["--port", str(port), "--database-url", f"sqlite:///{tmp_path}/engine.db"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "COUPLET_ENGINE_EMBEDDED_WORKER": "false"}
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    ca = tmp_path / ".couplet" / "tls" / "ca.pem"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if ca.is_file():
                    trust = ssl.create_default_context(cafile=ca)
                    health = httpx.get(f"https://localhost:{port}/health", verify=trust)
                    if health.status_code == 200:
                        break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        # Plain HTTP is not served on the TLS port.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
    finally:
        server.terminate()
        server.wait(timeout=10)
        output = server.stdout.read().decode() if server.stdout else ""
        if server.stdout:
            server.stdout.close()
    assert f"COUPLET_ENGINE_CA_BUNDLE={ca.resolve()}" in output
    assert f"https://127.0.0.1:{port}/" in output
