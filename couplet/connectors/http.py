"""HTTP for connectors: OAuth2 client credentials, retries on every transient fault, clear
failures (docs/protocols.md §A11, §B10).

Shared by the Dataverse and Business Central connectors and by sign-in. A transient fault —
a connection that could not be made, a timeout, a reset, an answer of 429, 502, 503 or 504 —
is retried after the server's `Retry-After` (seconds or an HTTP date) or an exponential
back-off with jitter, bounded per request (attempts and total waiting) and per session (a
retry budget: beyond it, faults fail fast). A request is only sent again when that cannot
write twice: reads, updates (they carry If-Match) and deletes always; a POST — a create, a
`$batch` holding creates, an action — only when the service provably did not receive it (the
connection was never made, or it answered 429/503, which refuse the request before running
it), unless its caller says it is safe to resend. Idempotent creates, which make every POST
safe to resend, are a separate change (issue 16 point 1).

What still fails becomes a `RetryableError` carrying the last `Retry-After`; when no
connection could be made at all, or several requests in a row failed like that, an
`UnavailableError` ("the CRM at … is not answering"), which stops the run. Authentication
and permission failures become `FatalError`s.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, wait_random_exponential

from ..engine.errors import FatalError, RetryableError, UnavailableError

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# Answers by which the service refuses a request before running it (throttling, overload):
# even a create can be sent again after them.
NOT_RUN_STATUSES = frozenset({429, 503})
# Methods that write nothing twice when repeated (updates carry If-Match).
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a session tries. `attempts` and `total_seconds` bound one request; `budget`
    retries are shared by all requests of a session within `budget_window` seconds (about
    one run), after which faults fail fast; `down_after` requests in a row that fail even
    after their retries mean the service is down."""

    attempts: int = 6
    total_seconds: float = 300.0
    backoff: float = 1.0
    backoff_max: float = 60.0
    budget: int = 200
    budget_window: float = 3600.0
    down_after: int = 3


class RetryBudget:
    """Retries left to a session: at most `policy.budget` in any `policy.budget_window`."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self.clock = clock
        self._spent: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self.clock()
            while self._spent and self._spent[0] <= now - self.policy.budget_window:
                self._spent.popleft()
            if len(self._spent) >= self.policy.budget:
                return False
            self._spent.append(now)
            return True


class TransientAnswer(Exception):
    """An answer worth asking again for (429, 502, 503, 504), with its `Retry-After`."""

    def __init__(self, response: httpx.Response, now: Callable[[], float] = time.time) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after(response.headers.get("Retry-After", ""), now)


def retry_after(raw: str, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110,
    section 10.2.3); None when absent or unreadable."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now())


def _not_sent(exc: BaseException) -> bool:
    """The request provably never reached the service."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout) or (
        isinstance(exc, TransientAnswer) and exc.response.status_code in NOT_RUN_STATUSES
    )


def _untrusted(exc: BaseException) -> bool:
    # Not transient: the server's certificate is not one this engine trusts.
    return isinstance(exc, httpx.TransportError) and "CERTIFICATE_VERIFY_FAILED" in str(exc)


class Retrier:
    """Sends requests again on transient faults, within a `RetryPolicy`; one per session."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        service: str = "the service",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.service = service
        self.sleep = sleep
        self.clock = clock
        self.budget = RetryBudget(self.policy, clock)
        self._backoff = wait_random_exponential(
            multiplier=self.policy.backoff, max=self.policy.backoff_max
        )
        self._failures_in_a_row = 0
        self._lock = threading.Lock()

    def send(
        self, send: Callable[[], httpx.Response], method: str, url: str, *, repeatable: bool
    ) -> httpx.Response:
        """`send()` once, then again while the fault is transient and the bounds allow;
        raises `RetryableError`, `UnavailableError` or `FatalError` when it gives up."""
        started = self.clock()
        planned: dict[int, float] = {}  # the wait chosen for each attempt (jitter is random)

        def wait(state: RetryCallState) -> float:
            return planned.pop(state.attempt_number, 0.0)

        def retry(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, httpx.TransportError | TransientAnswer) or _untrusted(exc):
                return False
            if not (repeatable or _not_sent(exc)):
                return False  # it may have been written already: sending it again could double it
            if state.attempt_number >= self.policy.attempts:
                return False
            planned[state.attempt_number] = self._wait(exc, state)
            if self.clock() - started + planned[state.attempt_number] > self.policy.total_seconds:
                return False
            return self.budget.take()

        retrying = Retrying(
            retry=retry,
            stop=lambda state: False,  # `retry` holds every bound
            wait=wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(send)
        except TransientAnswer as exc:
            raise self._gave_up(
                method, url, f"HTTP {exc.response.status_code}", exc.retry_after
            ) from None
        except httpx.TransportError as exc:
            if _untrusted(exc):
                raise FatalError(
                    f"{method} {url} failed: {exc} (a private CA? COUPLET_ENGINE_CA_BUNDLE "
                    "names a CA file to trust)"
                ) from None
            # No connection at all, attempt after attempt: the service is down.
            down = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            cause = f"{type(exc).__name__}: {exc}"
            raise self._gave_up(method, url, cause, None, down=down) from None
        with self._lock:
            self._failures_in_a_row = 0
        return response

    def _wait(self, exc: BaseException, state: RetryCallState) -> float:
        if isinstance(exc, TransientAnswer) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _gave_up(
        self, method: str, url: str, cause: str, retry_after: float | None, down: bool = False
    ) -> RetryableError:
        with self._lock:
            self._failures_in_a_row += 1
            down = down or self._failures_in_a_row >= self.policy.down_after
        if down:
            return UnavailableError(f"{self.service} is not answering: {cause}", retry_after)
        return RetryableError(f"{method} {url} failed ({cause}); try again later", retry_after)


@dataclass(frozen=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None


class OAuthClientCredentials(httpx.Auth):
    """Gets a bearer token with the client credentials grant and renews it when it expires
    or the server says it is no longer valid (one retry after a 401). A transient answer of
    the token endpoint is a `TransientAnswer`, so the session retries it like any other."""

    requires_response_body = True

    def __init__(
        self, credentials: ClientCredentials, clock: Callable[[], float] = time.time
    ) -> None:
        self.credentials = credentials
        self.clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def _token_request(self) -> httpx.Request:
        c = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": c.client_id,
            "client_secret": c.client_secret,
        }
        if c.scope:
            form["scope"] = c.scope
        return httpx.Request("POST", c.token_url, data=form)

    def _store(self, response: httpx.Response) -> None:
        if response.status_code in TRANSIENT_STATUSES:
            # The request itself was not sent: even a create behind it may be retried.
            raise TransientAnswer(_as_not_run(response))
        if response.status_code != 200:
            detail = _oauth_detail(response)
            raise FatalError(
                f"Could not sign in at {self.credentials.token_url} as client "
                f"'{self.credentials.client_id}': {detail}"
            )
        body = response.json()
        self._token = str(body["access_token"])
        # Renew a minute early so a token never expires between check and use.
        self._expires_at = self.clock() + float(body.get("expires_in", 3600)) - 60

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at:
                self._store((yield self._token_request()))
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            with self._lock:
                self._store((yield self._token_request()))
                request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _as_not_run(response: httpx.Response) -> httpx.Response:
    """A token endpoint's transient answer, seen as a 503 of the request it held back (that
    request never left, so it is safe to send again whatever it is)."""
    if response.status_code in NOT_RUN_STATUSES:
        return response
    return httpx.Response(503, headers=response.headers, request=response.request)


def _oauth_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("error_description") or body.get("error") or response.text)
    except ValueError:
        return f"HTTP {response.status_code}"


class HttpSession:
    """An httpx client with auth, retries on transient faults and a concurrency cap."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        retrier: Retrier | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_parallel: int = 4,
    ) -> None:
        """`retrier`: how faults are retried (default: one of its own with `policy`)."""
        self.client = client
        self.retrier = retrier or Retrier(
            policy, service=f"the service at {client.base_url}", sleep=sleep
        )
        self.slots = threading.BoundedSemaphore(max_parallel)

    def request(
        self, method: str, url: str, *, repeatable: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """`repeatable`: the request writes nothing twice if sent again (default: by its
        method; a POST is not, unless its caller knows better, such as a `$batch` of
        updates)."""
        if repeatable is None:
            repeatable = method.upper() in REPEATABLE_METHODS
        return self.retrier.send(
            lambda: self._once(method, url, **kwargs), method, url, repeatable=repeatable
        )

    def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with self.slots:
            response = self.client.request(method, url, **kwargs)
        if response.status_code in TRANSIENT_STATUSES:
            raise TransientAnswer(response)
        if response.status_code == 401:
            raise FatalError(f"{method} {url}: the service refused the credentials (HTTP 401).")
        if response.status_code == 403:
            raise FatalError(
                f"{method} {url}: the integration user lacks a privilege: {error_message(response)}"
            )
        return response


def error_message(response: httpx.Response) -> str:
    """The human-readable message of an OData error body (Dataverse and Business Central)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or f"HTTP {response.status_code}"
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    return str(body)[:500]
