"""HTTP for connectors: OAuth2 client credentials, retries on throttling, clear failures.

Shared by the Dataverse and Business Central connectors. A 429/503/504 answer is retried
after the server's `Retry-After` (or an exponential back-off) a bounded number of times; what
still fails becomes a `RetryableError` carrying the last `Retry-After`, so a job can be
rescheduled. Authentication and permission failures become `FatalError`s naming the cause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from ..engine.errors import FatalError, RetryableError

RETRY_STATUSES = {429, 503, 504}


@dataclass(frozen=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None


class OAuthClientCredentials(httpx.Auth):
    """Gets a bearer token with the client credentials grant and renews it when it expires
    or the server says it is no longer valid (one retry after a 401)."""

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


def _oauth_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body.get("error_description") or body.get("error") or response.text)
    except ValueError:
        return f"HTTP {response.status_code}"


class _Throttled(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        raw = response.headers.get("Retry-After", "")
        self.retry_after = float(raw) if raw.replace(".", "", 1).isdigit() else None


class HttpSession:
    """An httpx client with auth, bounded retries on throttling and a concurrency cap."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        max_attempts: int = 6,
        max_parallel: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 1.0,
    ) -> None:
        self.client = client
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.backoff_base = backoff_base
        self.slots = threading.BoundedSemaphore(max_parallel)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Throttled) and exc.retry_after is not None:
            return exc.retry_after
        return float(self.backoff_base * 2 ** (state.attempt_number - 1))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Throttled),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, method, url, **kwargs)
        except _Throttled as exc:
            raise RetryableError(
                f"{method} {url} was refused {self.max_attempts} times "
                f"(HTTP {exc.response.status_code}); try again later",
                exc.retry_after,
            ) from None
        except httpx.TransportError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                # Not transient: the server's certificate is not one this engine trusts.
                raise FatalError(
                    f"{method} {url} failed: {exc} (a private CA? COUPLET_ENGINE_CA_BUNDLE "
                    "names a CA file to trust)"
                ) from None
            raise RetryableError(f"{method} {url} failed: {exc}") from None

    def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        with self.slots:
            response = self.client.request(method, url, **kwargs)
        if response.status_code in RETRY_STATUSES:
            raise _Throttled(response)
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
