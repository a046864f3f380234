"""Admin page sessions live on the server, guessing passwords is throttled, and every answer
carries the security headers (docs/operations.md, "Credentials and sign-in")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from couplet.operations.integration import Integration
from couplet.settings import EngineSettings
from couplet.web.app import create_app
from couplet.wiring import open_integration
from tests.web.conftest import csrf_of


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(database_url: str, clock: Clock) -> Iterator[Integration]:
    settings = EngineSettings(database_url=database_url, admin_password="s3cret")
    engine = open_integration(settings, clock=clock)
    yield engine
    engine.close()


@pytest.fixture
def browser(engine: Integration) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as client:
        yield client


def _sign_in(browser: TestClient, password: str, user: str = "admin") -> int:
    data = {"username": user, "password": password, "csrf_token": csrf_of(browser)}
    return browser.post("/login", data=data, follow_redirects=False).status_code


def test_a_session_cookie_is_worthless_after_signing_out(browser: TestClient) -> None:
    assert _sign_in(browser, "s3cret") == 303
    cookie = browser.cookies["couplet_session"]
    assert browser.get("/", follow_redirects=False).status_code == 200
    token = csrf_of(browser, "/")
    assert browser.post("/logout", data={"csrf_token": token}, follow_redirects=False).is_redirect
    browser.cookies.clear()
    browser.cookies.set("couplet_session", cookie)  # the copy taken while signed in
    r = browser.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_session_ends_when_idle_and_at_the_latest_after_a_week(
    browser: TestClient, clock: Clock
) -> None:
    assert _sign_in(browser, "s3cret") == 303
    clock.advance(hours=7, minutes=59)
    assert browser.get("/", follow_redirects=False).status_code == 200  # seen: idle again
    clock.advance(hours=7, minutes=59)
    assert browser.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=8, minutes=1)
    assert browser.get("/", follow_redirects=False).status_code == 303  # idle too long
    assert _sign_in(browser, "s3cret") == 303
    for _ in range(7 * 3):  # busy every 8 hours, for a week
        clock.advance(hours=7, minutes=59)
        assert browser.get("/", follow_redirects=False).status_code == 200
    clock.advance(hours=7)
    assert browser.get("/", follow_redirects=False).status_code == 303  # a week is the most


def test_guessing_is_throttled_even_when_the_right_password_follows(
    browser: TestClient, clock: Clock
) -> None:
    codes = []
    for _ in range(30):
        codes.append(_sign_in(browser, "wrong"))
        clock.advance(seconds=0.1)
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    data = {"username": "admin", "password": "s3cret", "csrf_token": csrf_of(browser)}
    r = browser.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # The first wait is 30 s after the fifth failure; refused attempts did not lengthen it.
    assert 0 < int(r.headers["retry-after"]) <= 30
    clock.advance(seconds=int(r.headers["retry-after"]))
    assert _sign_in(browser, "wrong") == 401  # allowed again, and counted: the sixth
    assert _sign_in(browser, "s3cret") == 429  # now 60 s
    clock.advance(seconds=60)
    assert _sign_in(browser, "s3cret") == 303  # success clears the count
    assert browser.get("/", follow_redirects=False).status_code == 200
    browser.cookies.clear()
    assert _sign_in(browser, "wrong") == 401  # counting starts over


def test_throttling_counts_per_address_across_user_names(browser: TestClient) -> None:
    for n in range(5):
        assert _sign_in(browser, "wrong", user=f"guess{n}") == 401
    assert _sign_in(browser, "s3cret") == 429  # same address, another user name


def test_pages_and_answers_carry_security_headers(browser: TestClient) -> None:
    for path in ("/login", "/api/v1/jobs", "/health"):
        headers = browser.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-content-type-options"] == "nosniff", path
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
    docs = browser.get("/docs").headers
    assert docs["x-frame-options"] == "DENY" and "content-security-policy" not in docs
