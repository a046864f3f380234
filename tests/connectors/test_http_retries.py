"""The HTTP session's retries (docs/protocols.md §A11): which faults are sent again, how
long it waits, and its bounds. The service is an in-process handler; nothing sleeps."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import pytest

from couplet.connectors.http import HttpSession, RetryPolicy, retry_after
from couplet.engine.errors import FatalError, RetryableError, UnavailableError


class Service:
    """Answers with the given faults first (an exception to raise or a status), then 200."""

    def __init__(
        self, *faults: type[httpx.TransportError] | int, headers: dict[str, str] | None = None
    ):
        self.faults = list(faults)
        self.headers = headers or {}
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.method)
        if not self.faults:
            return httpx.Response(200, json={"ok": True})
        fault = self.faults.pop(0)
        if isinstance(fault, int):
            return httpx.Response(fault, headers=self.headers)
        raise fault("injected", request=request)


def session(service: Service, waits: list[float], policy: RetryPolicy | None = None) -> HttpSession:
    client = httpx.Client(base_url="http://svc.test", transport=httpx.MockTransport(service))
    return HttpSession(client, policy=policy, sleep=waits.append)


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError,
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        429,
        502,
        503,
        504,
    ],
)
def test_every_transient_fault_is_retried_on_reads_and_updates(
    fault: type[httpx.TransportError] | int,
) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        waits: list[float] = []
        service = Service(fault, fault)
        response = session(service, waits).request(method, "/rows")
        assert response.status_code == 200 and service.seen == [method] * 3
        assert len(waits) == 2 and all(0 <= w <= 60 for w in waits)  # jittered back-off


@pytest.mark.parametrize("fault", [httpx.ReadTimeout, httpx.RemoteProtocolError, 502, 504])
def test_a_create_that_may_have_arrived_is_not_sent_twice(
    fault: type[httpx.TransportError] | int,
) -> None:
    service = Service(fault)
    with pytest.raises(RetryableError):
        session(service, []).request("POST", "/rows", json={})
    assert service.seen == ["POST"]
    # The caller knows this POST writes nothing twice (a $batch of updates): it is retried.
    service = Service(fault)
    assert session(service, []).request("POST", "/$batch", repeatable=True).status_code == 200


@pytest.mark.parametrize("fault", [httpx.ConnectError, 429, 503])
def test_a_create_the_service_provably_did_not_run_is_sent_again(
    fault: type[httpx.TransportError] | int,
) -> None:
    service = Service(fault)
    assert session(service, []).request("POST", "/rows", json={}).status_code == 200
    assert service.seen == ["POST", "POST"]


def test_retry_after_in_seconds_and_as_an_http_date_is_honoured() -> None:
    waits: list[float] = []
    session(Service(429, headers={"Retry-After": "7"}), waits).request("GET", "/rows")
    assert waits == [7.0]
    now = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=30), usegmt=True)
    assert retry_after(later, now=now.timestamp) == 30.0
    assert retry_after("soon") is None and retry_after("") is None


def test_a_request_is_bounded_by_attempts_and_total_waiting() -> None:
    service = Service(*[503] * 10)
    with pytest.raises(RetryableError) as info:
        session(service, [], RetryPolicy(attempts=4)).request("GET", "/rows")
    assert len(service.seen) == 4 and "HTTP 503" in str(info.value)
    # A Retry-After beyond the request's time bound is not waited for.
    waits: list[float] = []
    service = Service(503, headers={"Retry-After": "600"})
    with pytest.raises(RetryableError) as info:
        session(service, waits, RetryPolicy(total_seconds=300)).request("GET", "/rows")
    assert waits == [] and info.value.retry_after == 600.0


def test_the_sessions_retry_budget_is_shared_then_faults_fail_fast() -> None:
    service = Service(*[502] * 6)
    s = session(service, [], RetryPolicy(budget=3, down_after=10))
    with pytest.raises(RetryableError):
        s.request("GET", "/a")  # 1 + 3 retries: the budget is spent
    assert len(service.seen) == 4
    with pytest.raises(RetryableError):
        s.request("GET", "/b")  # no retry left: fails at once
    assert len(service.seen) == 5


def test_a_service_that_stops_answering_is_reported_as_down() -> None:
    s = session(Service(*[httpx.ConnectError] * 20), [], RetryPolicy(attempts=2))
    with pytest.raises(
        UnavailableError, match=r"the service at http://svc\.test/? is not answering"
    ):
        s.request("GET", "/rows")
    flaky = session(Service(*[502] * 20), [], RetryPolicy(attempts=2, down_after=2))
    with pytest.raises(RetryableError) as first:
        flaky.request("GET", "/a")
    assert not isinstance(first.value, UnavailableError)
    with pytest.raises(UnavailableError):
        flaky.request("GET", "/b")  # the second request in a row that failed for good


def test_an_untrusted_certificate_is_not_retried() -> None:
    service = Service(httpx.ConnectError)

    def untrusted(request: httpx.Request) -> httpx.Response:
        service.seen.append(request.method)
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] unable to get issuer")

    client = httpx.Client(base_url="https://svc.test", transport=httpx.MockTransport(untrusted))
    with pytest.raises(FatalError, match="COUPLET_ENGINE_CA_BUNDLE"):
        HttpSession(client, sleep=lambda _: None).request("GET", "/rows")
    assert service.seen == ["GET"]
