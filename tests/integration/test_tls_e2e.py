"""Over HTTPS, as against the real services: both reference services run as server processes
with `couplet serve … --tls`; `couplet setup` with authorities signs in through MSAL at their
identity endpoints, trusting the generated CA (COUPLET_ENGINE_CA_BUNDLE), and a full
synchronization runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from couplet.cli.main import app
from tests.conftest import DatabaseFactory
from tests.servers import ENGINE, REPO, free_port, seed, serve, trust

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _setup(engine_url: str, *args: str, ca: Path | None) -> tuple[int, str]:
    env = {"COUPLET_ENGINE_CA_BUNDLE": str(ca) if ca else None}
    result = CliRunner().invoke(app, ["setup", *args, "--database-url", engine_url], env=env)
    return result.exit_code, result.output


# TLS and sign-in do not depend on the engine's database; the server processes cost seconds.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_msal_sign_in_over_tls_then_a_full_sync(databases: DatabaseFactory, tmp_path: Path) -> None:
    crm_db, erp_db, engine_url = databases(["crm", "erp", "engine"])
    seed(crm_db, erp_db)
    ca = tmp_path / ".couplet" / "tls" / "ca.pem"
    with ExitStack() as stack:
        # One after the other: the ERP finds the CA the CRM's start made and uses it too.
        crm = stack.enter_context(serve("crm", crm_db, tmp_path, ca))
        erp = stack.enter_context(serve("erp", erp_db, tmp_path, ca))
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

        with httpx.Client(base_url=crm, verify=trust(ca)) as http:
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
        with httpx.Client(base_url=erp, verify=trust(ca)) as http:
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
    port = free_port()
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
                    context = trust(ca)
                    health = httpx.get(f"https://localhost:{port}/health", verify=context)
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
