"""The reference services as server processes of their own, as a real client meets them:
`couplet serve crm|erp --tls` on 127.0.0.1, seeded beforehand through the same code the
running services use."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

import couplet
from couplet.apps.crm.app import create_app as create_crm
from couplet.apps.crm.app import ensure_application_user
from couplet.apps.crm.security import SYSTEM_ADMINISTRATOR
from couplet.apps.erp.app import create_app as create_erp
from couplet.apps.erp.security import ensure_api_user
from couplet.settings import CrmSettings, ErpSettings
from tests.helpers import CrmClient, ErpClient, token_for

# The client both services are started with as their admin (the engine's, or a real
# client's, application user), and a person who enters sample data.
ENGINE = ("engine-app", "engine-pw")
PERSON = ("a-person", "person-pw")
REPO = Path(couplet.__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def person_tokens(crm_url: str, erp_url: str) -> tuple[str, str]:
    """Adds the person to both services' databases; their bearer tokens for the CRM and the
    ERP, good for the server processes started on the same databases later.

    (Signed in here, in this process: the server processes hash secrets at full cost and
    this one cheaply, so the person's secret is good here only - but a token is signed with
    the key kept in the service's database, which the server processes share.)"""
    crm_app = create_crm(CrmSettings(database_url=crm_url))
    erp_app = create_erp(ErpSettings(database_url=erp_url))
    with crm_app.state.service.system_tx() as tx:
        ensure_application_user(tx, *PERSON, "a person", [SYSTEM_ADMINISTRATOR])
    with erp_app.state.service.system_tx() as tx:
        ensure_api_user(tx, *PERSON)
    with TestClient(crm_app) as crm_http, TestClient(erp_app) as erp_http:
        tokens = token_for(crm_http, *PERSON), token_for(erp_http, *PERSON)
    crm_app.state.engine.dispose()
    erp_app.state.engine.dispose()
    return tokens


def seed(crm_url: str, erp_url: str) -> None:
    """Sample data entered as a person would (not as the integration user), before the
    services start as processes of their own on the same databases."""
    crm_token, erp_token = person_tokens(crm_url, erp_url)
    crm_app = create_crm(CrmSettings(database_url=crm_url))
    erp_app = create_erp(ErpSettings(database_url=erp_url))
    with TestClient(crm_app) as crm_http, TestClient(erp_app) as erp_http:
        erp = ErpClient(erp_http, erp_token)
        for name in ("Adatum Corporation", "Coho Winery"):
            erp.create("customers", {"displayName": name, "city": "Atlanta"})
        CrmClient(crm_http, crm_token).create(
            "accounts", {"name": "Fourth Coffee", "customertypecode": 3}
        )
    crm_app.state.engine.dispose()
    erp_app.state.engine.dispose()


def trust(ca: Path) -> ssl.SSLContext:
    """An SSL context that trusts the certificate authority `--tls` generated."""
    return ssl.create_default_context(cafile=ca)


@contextmanager
def serve(side: str, database_url: str, cwd: Path, ca: Path) -> Iterator[str]:
    """`couplet serve <side> --tls` as a process; yields its https base URL once it answers.

    The certificate authority is written under `cwd` (`.couplet/tls/ca.pem`, which is `ca`);
    a second service started in the same `cwd` finds and reuses it."""
    port = free_port()
    prefix = f"COUPLET_{side.upper()}_"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        prefix + "ADMIN_CLIENT_ID": ENGINE[0],
        prefix + "ADMIN_CLIENT_SECRET": ENGINE[1],
    }
    command = [sys.executable, "-m", "couplet.cli.main", "serve", side, "--tls"]
    command += ["--port", str(port), "--database-url", database_url]
    # The output goes to a file: a pipe nobody reads fills up after a few thousand
    # request log lines and then blocks the server.
    log = cwd / f"{side}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if ca.is_file():
                    answer = httpx.get(
                        f"{base}/contoso/v2.0/.well-known/openid-configuration",
                        verify=trust(ca),
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
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # uvicorn's graceful shutdown waits for open connections (a TLS one up to half a
            # minute for the peer's goodbye); a second signal makes it exit without waiting.
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # Still hanging (seen on a loaded machine): a test server has nothing to
                # save, so it is killed rather than left running past the test.
                server.kill()
                server.wait(timeout=10)
