"""Transient faults between the engine and the services (issue 16 points 2 and 3): every
kind is retried, a full synchronization converges by itself, failed lines are run again.

The engine's HTTP clients go through `Faults`, a transport wrapping the in-process one that
answers a seeded share of requests with a reset, a timeout, 429 with Retry-After, 502 or
503 — before the request reaches the service, so a create that is not retried is simply not
written (a lost answer after a write is the idempotent-creates part of the issue). Sleeping
is injected: nothing waits.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import tests.integration.conftest as integration_conftest
from couplet.cli.main import app
from couplet.web.app import create_app
from couplet.wiring import open_integration
from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, cli_json, engine_api, runner
from tests.integration.test_sign_in_e2e import AUTHORITIES
from tests.web.conftest import sign_in

Fault = Callable[[httpx.Request], httpx.Response]


def _reset(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def _read_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadError("[Errno 104] Connection reset by peer")


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("The read operation timed out")


def _answer(status: int, **headers: str) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, json={"error": {"message": "injected"}})

    return fault


FAULTS: dict[str, Fault] = {
    "reset": _reset,
    "read-error": _read_error,
    "timeout": _timeout,
    "429": _answer(429, **{"Retry-After": "2"}),
    "502": _answer(502),
    "503": _answer(503, **{"Retry-After": "1"}),
}


@dataclass
class Faults:
    """What the transport does: a seeded share of faults, faults on chosen paths, or a
    service that does not answer at all."""

    rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    only: str | None = None  # a path fragment: fault only those requests
    down: set[str] = field(default_factory=set)  # hosts refusing connections
    down_at_first_write: str | None = None  # this host stops answering at its first write
    injected: Counter[str] = field(default_factory=Counter)
    slept: list[float] = field(default_factory=list)

    def handle(self, inner: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        signing_in = request.url.path.endswith("/oauth2/token")
        if host == self.down_at_first_write and request.method == "POST" and not signing_in:
            self.down.add(host)
        if host in self.down:
            self.injected["connect"] += 1
            raise httpx.ConnectError("[Errno 111] Connection refused")
        if (self.only is None or self.only in request.url.path) and self.rng.random() < self.rate:
            kind = self.rng.choice(sorted(FAULTS))
            self.injected[kind] += 1
            return FAULTS[kind](request)
        return inner.handle_request(request)


class FaultyTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.faults.handle(self.inner, request)


@pytest.fixture
def faults(systems: Systems, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    """The engine's clients (connectors and sign-in) behind the fault-injecting transport."""
    state = Faults()

    def faulty(settings: Any, *, client_factory: Callable[[str], httpx.Client]) -> Any:
        def client(base_url: str) -> httpx.Client:
            plain = client_factory(base_url)
            transport = FaultyTransport(plain._transport, state)
            return httpx.Client(base_url=plain.base_url, transport=transport)

        return open_integration(settings, client_factory=client, sleep=state.slept.append)

    monkeypatch.setattr(integration_conftest, "open_integration", faulty)
    yield state


def _seed(systems: Systems, customers: int) -> None:
    for i in range(customers):
        systems.erp.create("customers", {"displayName": f"Customer {i:04}", "city": "Atlanta"})


def _accounts(systems: Systems) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    url: str | None = "accounts"
    params: dict[str, str] | None = {"$select": "accountid,name"}
    while url:
        body = systems.crm.get(url, params=params).json()
        rows += body["value"]
        url, params = body.get("@odata.nextLink"), None
    return rows


def _failed(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for x in lines if "error" in (x["status"], x["erp_to_crm"], x["crm_to_erp"])]


def _converge(systems: Systems, attempts: int = 6) -> list[dict[str, Any]]:
    """`couplet full-sync --start` until no line failed (exit 0), as an operator's schedule
    would; bounded."""
    for _ in range(attempts):
        result = cli_json_any(systems, "full-sync", "--start")
        if not _failed(result):
            return result
    raise AssertionError(f"did not converge: {_failed(result)}")


def cli_json_any(systems: Systems, *args: str) -> list[dict[str, Any]]:
    """A command's JSON whether it exited 0 or 1 (failed records)."""
    result = runner.invoke(app, [*args, "--json", "--database-url", systems.engine_url])
    assert result.exit_code in (0, 1), result.output
    return list(json.loads(result.output))


def _assert_in_step(systems: Systems, customers: int) -> None:
    accounts = _accounts(systems)
    names = Counter(a["name"] for a in accounts)
    assert len(accounts) == customers and max(names.values()) == 1  # nothing doubled
    erp = systems.erp.get("customers", params={"$top": str(customers + 100)}).json()["value"]
    assert len(erp) == customers
    engine = systems.engine()
    try:
        couplings = engine.state.couplings_by_erp("CUSTOMER", [c["id"] for c in erp])
    finally:
        engine.close()
    assert len(couplings) == customers  # couplings = rows
    assert {c.crm_id for c in couplings.values()} == {a["accountid"] for a in accounts}


def test_full_sync_converges_through_resets_timeouts_and_throttling(
    systems: Systems, faults: Faults
) -> None:
    customers = 240
    _seed(systems, customers)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    faults.rate = 0.15

    _converge(systems)

    assert set(faults.injected) == set(FAULTS), faults.injected  # every kind happened
    _assert_in_step(systems, customers)
    # Retry-After was honoured (seconds as given), and back-off waited between attempts.
    assert 2.0 in faults.slept and 1.0 in faults.slept


@pytest.mark.parametrize(
    ("sign_in", "token_path"),
    [([], "/oauth2/token"), (AUTHORITIES, "/oauth2/v2.0/token")],
    ids=["service-token-endpoint", "msal"],
)
def test_a_503_at_sign_in_is_retried(
    systems: Systems, faults: Faults, sign_in: list[str], token_path: str
) -> None:
    _seed(systems, 3)
    answers = iter(["503", "429", "502", "timeout"])  # the token endpoint refuses first

    def first_refused(inner: httpx.BaseTransport, request: httpx.Request) -> httpx.Response:
        kind = next(answers, None) if request.url.path.endswith(token_path) else None
        if kind is None:
            return inner.handle_request(request)
        faults.injected[kind] += 1
        return FAULTS[kind](request)

    faults.handle = first_refused  # type: ignore[method-assign]
    checks = cli_json(systems, "setup", *systems.setup, *sign_in, "--enable", "--test")
    assert all(c["ok"] for c in checks), checks
    assert faults.injected == Counter({"503": 1, "429": 1, "502": 1, "timeout": 1})
    lines = cli_json(systems, "full-sync", "--start")
    assert not _failed(lines)
    _assert_in_step(systems, 3)


def test_a_line_failed_because_the_crm_was_down_runs_again_on_the_next_start(
    systems: Systems, faults: Faults
) -> None:
    customers = 30
    _seed(systems, customers)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    faults.down_at_first_write = "crm.test"  # the CRM goes away during the first wave

    out = cli(systems, "full-sync", "--start", code=1)

    assert "the CRM at http://crm.test is not answering" in out
    faults.down_at_first_write, faults.down = None, set()  # the CRM is back
    lines = {x["name"]: x for x in cli_json(systems, "full-sync", code=1)}
    failed = [n for n, x in lines.items() if x["status"] == "error"]
    assert failed and all("not answering" in lines[n]["message"] for n in failed)
    assert lines["CUSTOMER"]["status"] == "not-started"  # the run stopped: nothing else ran

    done = cli_json(systems, "full-sync", "--start")  # no manual step: the line runs again

    assert not _failed(done)
    assert {x["status"] for x in done} <= {"finished", "not-started"}
    _assert_in_step(systems, customers)


def test_restart_a_line_and_all_failed_lines_by_cli_and_rest(systems: Systems) -> None:
    _seed(systems, 5)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    cli_json(systems, "full-sync", "--start")
    # A new ERP customer, then the finished CUSTOMER line restarted: it runs again.
    systems.erp.create("customers", {"displayName": "Late Customer", "city": "Boston"})

    lines = {x["name"]: x for x in cli_json(systems, "full-sync", "--restart", "CUSTOMER")}

    assert lines["CUSTOMER"]["status"] == "finished"
    assert "Late Customer" in {a["name"] for a in _accounts(systems)}
    assert "no full synchronization line NOPE" in cli(
        systems, "full-sync", "--restart", "NOPE", code=2
    )
    # Nothing failed: --all-failed puts nothing back and the start finds nothing to do.
    assert not _failed(cli_json(systems, "full-sync", "--all-failed"))

    with engine_api(systems) as http:
        r = http.post("/api/v1/full-sync/restart?wait=true", json={"lines": ["CUSTOMER"]})
        assert r.status_code == 200, r.text
        assert r.json()["restarted"] == ["CUSTOMER"] and r.json()["status"] == "finished"
        r = http.post("/api/v1/full-sync/restart", json={"all_failed": True})
        assert r.status_code == 202 and r.json()["restarted"] == []
        assert http.post("/api/v1/full-sync/restart", json={}).status_code == 422
        r = http.post("/api/v1/full-sync/restart", json={"lines": ["NOPE"]})
        assert r.status_code == 404
    _assert_in_step(systems, 6)


def test_the_review_page_restarts_a_failed_line(systems: Systems, faults: Faults) -> None:
    _seed(systems, 4)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    faults.down_at_first_write = "crm.test"
    cli(systems, "full-sync", "--start", code=1)
    faults.down_at_first_write, faults.down = None, set()
    engine = systems.engine()
    try:
        with TestClient(create_app(engine)) as http:
            csrf = sign_in(engine, http)
            failed = [x.name for x in engine.state.full_sync_lines() if x.status.value == "error"]
            page = http.get("/full-sync").text
            assert f"Restart {failed[0]}" in page and "Restart all failed lines" in page
            assert "Restart CUSTOMER" not in page  # not started: nothing to restart

            r = http.post(
                "/full-sync/restart",
                data={"line": failed[0], "csrf_token": csrf},
                follow_redirects=False,
            )
            assert r.status_code == 303 and r.headers["location"].startswith("/runs/")
            run_id = r.headers["location"].split("?")[0].rsplit("/", 1)[1]
            assert engine.worker().run_named(f"RUN-{run_id}") is not None

            lines = {x.name: x for x in engine.state.full_sync_lines()}
            assert lines[failed[0]].status.value == "finished"
            assert lines["CUSTOMER"].status.value == "finished"  # the start went on
            assert "Restart " not in http.get("/full-sync").text
    finally:
        engine.close()
    _assert_in_step(systems, 4)


@pytest.mark.parametrize("arrived", [False, True], ids=["lost-on-the-way", "answer-lost"])
def test_a_create_that_timed_out_fails_its_records_in_the_log_then_converges(
    systems: Systems, faults: Faults, arrived: bool
) -> None:
    """A create is not sent again after a timeout; whether it arrived or not, its rows are
    failures in the log, and the next start (reconciling first) converges."""
    customers = 12
    _seed(systems, customers)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    timed_out: list[bytes] = []

    def first_create_times_out(
        inner: httpx.BaseTransport, request: httpx.Request
    ) -> httpx.Response:
        if request.method == "POST" and b"Customer 00" in request.content and not timed_out:
            timed_out.append(request.content)
            if arrived:
                inner.handle_request(request)  # written, but the answer never comes back
            raise httpx.ReadTimeout("The read operation timed out")  # not sent again
        return inner.handle_request(request)

    faults.handle = first_create_times_out  # type: ignore[method-assign]

    first = {x["name"]: x for x in cli_json_any(systems, "full-sync", "--start")}

    assert timed_out and first["CUSTOMER"]["erp_to_crm"] == "error"
    errors = [e for e in cli_json(systems, "errors") if e["mapping"] == "CUSTOMER"]
    erp_ids = {c["id"] for c in systems.erp.rows("customers")}
    assert errors and {e["source_id"] for e in errors} <= erp_ids  # each record, by id
    assert all("ReadTimeout" in e["message"] for e in errors)

    assert not _failed(cli_json(systems, "full-sync", "--start"))  # the next start converges
    _assert_in_step(systems, customers)
