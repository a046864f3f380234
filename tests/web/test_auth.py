"""Signing in: the admin pages need a session, forms a CSRF token, the API a bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from couplet.cli.main import app as cli
from couplet.operations.integration import Integration
from couplet.settings import EngineSettings
from couplet.web.app import create_app
from couplet.wiring import open_integration
from tests.web.conftest import csrf_of

runner = CliRunner()


@pytest.fixture
def engine(database_url: str) -> Iterator[Integration]:
    engine = open_integration(EngineSettings(database_url=database_url, admin_password="s3cret"))
    yield engine
    engine.close()


@pytest.fixture
def browser(engine: Integration) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as client:
        yield client


def _login(browser: TestClient, password: str, csrf: str | None = None) -> int:
    data = {"username": "admin", "password": password, "next": "/jobs"}
    data["csrf_token"] = csrf_of(browser) if csrf is None else csrf
    return browser.post("/login", data=data, follow_redirects=False).status_code


def test_pages_need_signing_in_and_a_wrong_password_is_refused(browser: TestClient) -> None:
    r = browser.get("/jobs?mapping=CUSTOMER", follow_redirects=False)
    assert (
        r.status_code == 303 and r.headers["location"] == "/login?next=/jobs%3Fmapping%3DCUSTOMER"
    )
    assert browser.post("/sync", follow_redirects=False).status_code == 303  # to sign-in too
    r = browser.post(
        "/login", data={"username": "admin", "password": "nope", "csrf_token": csrf_of(browser)}
    )
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    assert _login(browser, "s3cret", csrf="forged") == 403  # sign-in form needs its token too
    assert browser.get("/", follow_redirects=False).status_code == 303
    r = browser.post(
        "/login",
        data={
            "username": "admin",
            "password": "s3cret",
            "csrf_token": csrf_of(browser),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    assert browser.get("/").status_code == 200


def test_forms_need_the_session_csrf_token(browser: TestClient) -> None:
    assert _login(browser, "s3cret") == 303
    page = browser.get("/connection").text
    token = csrf_of(browser, "/connection")
    assert page.count(f'value="{token}"') >= 2  # every form of the page carries it
    assert browser.post("/connection/enable", follow_redirects=False).status_code == 403
    forged = {"csrf_token": "not-the-token"}
    r = browser.post("/connection/enable", data=forged, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = browser.post("/connection/enable", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "level=error" in r.headers["location"]  # ran: not set up
    r = browser.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_api_needs_a_token_from_the_cli(browser: TestClient, database_url: str) -> None:
    assert browser.get("/api/v1/jobs").status_code == 401
    assert browser.get("/api/v1/jobs").headers["www-authenticate"] == "Bearer"
    bad = {"Authorization": "Bearer cpl_000000000000_nope"}
    assert browser.get("/api/v1/jobs", headers=bad).status_code == 401
    made = runner.invoke(cli, ["tokens", "create", "--name", "ci", "--database-url", database_url])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    good = {"Authorization": f"Bearer {token}"}
    assert browser.get("/api/v1/jobs", headers=good).json() == []
    listed = runner.invoke(cli, ["tokens", "list", "--json", "--database-url", database_url])
    assert '"name": "ci"' in listed.stdout and token not in listed.stdout
    token_id = token.split("_")[1]
    revoked = runner.invoke(cli, ["tokens", "revoke", token_id, "--database-url", database_url])
    assert revoked.exit_code == 0
    assert browser.get("/api/v1/jobs", headers=good).status_code == 401
    assert browser.get("/health").status_code == 200  # the health check stays open


def test_setup_creates_the_admin_once_and_prints_its_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/engine.db"
    args = [
        "setup",
        "--crm-url",
        "http://crm.test",
        "--crm-client-id",
        "c",
        "--crm-client-secret",
        "s",
        "--erp-url",
        "http://erp.test",
        "--erp-client-id",
        "e",
        "--erp-client-secret",
        "s",
        "--database-url",
        url,
    ]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "Web app sign-in created: user admin, password" in first.output
    password = first.output.split("password ")[1].split(" ")[0]
    second = runner.invoke(cli, ["setup", "--show", "--database-url", url])
    assert "sign-in created" not in second.output
    engine = open_integration(EngineSettings(database_url=url))
    try:
        assert engine.credentials.check_password("admin", password)
        assert not engine.credentials.check_password("admin", password + "x")
    finally:
        engine.close()
