"""Service protection limits: off by default, 429 with Retry-After when configured."""

from __future__ import annotations

import threading

from couplet.apps._common.throttle import Throttle, ThrottlePolicy
from tests.helpers import CrmClient, crm_client


def test_off_by_default(crm: CrmClient) -> None:
    for _ in range(30):
        assert crm.get("WhoAmI").status_code == 200


def test_request_limit_answers_429_with_retry_after(database_url: str) -> None:
    with crm_client(database_url, throttle_requests=5, throttle_window_seconds=60) as crm:
        statuses = [crm.get("WhoAmI").status_code for _ in range(5)]
        assert statuses == [200] * 5
        r = crm.get("WhoAmI")
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert r.json()["error"]["code"] == "0x80072322"
        assert r.json()["error"]["message"] == (
            "Number of requests exceeded the limit of 5 over time window of 60 seconds."
        )


def test_sliding_window_frees_capacity() -> None:
    now = [0.0]
    throttle = Throttle(ThrottlePolicy(requests=2, window_seconds=10), clock=lambda: now[0])
    assert throttle.enter("c") is None
    throttle.leave("c")
    now[0] = 5
    assert throttle.enter("c") is None
    throttle.leave("c")
    refusal = throttle.enter("c")
    assert refusal is not None and refusal.retry_after == 5
    now[0] = 10.5  # the first request left the window
    assert throttle.enter("c") is None
    assert throttle.enter("other") is None  # limits are per client


def test_concurrent_limit() -> None:
    throttle = Throttle(ThrottlePolicy(concurrent=2))
    assert throttle.enter("c") is None and throttle.enter("c") is None
    refusal = throttle.enter("c")
    assert refusal is not None and refusal.code == "0x80072326"
    assert refusal.message == "Number of concurrent requests exceeded the limit of 2."
    throttle.leave("c")
    assert throttle.enter("c") is None


def test_concurrent_limit_over_http(database_url: str) -> None:
    with crm_client(database_url, throttle_concurrent=1) as crm:
        service = crm.http.app.state.service  # type: ignore[attr-defined]
        gate, inside = threading.Event(), threading.Event()
        original = service.handle

        def slow(req):  # type: ignore[no-untyped-def]
            inside.set()
            gate.wait(5)
            return original(req)

        service.handle = slow
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(crm.get("WhoAmI").status_code))
        worker.start()
        assert inside.wait(5)
        service.handle = original
        r = crm.get("WhoAmI")
        gate.set()
        worker.join()
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert results == [200]
