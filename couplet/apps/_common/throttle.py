"""Service protection: requests per sliding window and concurrent requests, per client.

Off unless configured. Answers 429 with `Retry-After` (seconds) and the API's error body, as
Dataverse's service protection limits do, so clients' back-off can be tested for real.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

import jwt


@dataclass(frozen=True)
class ThrottlePolicy:
    requests: int | None = None
    window_seconds: float = 300.0
    concurrent: int | None = None

    @property
    def enabled(self) -> bool:
        return self.requests is not None or self.concurrent is not None


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    code: str
    message: str


class Throttle:
    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._running: dict[str, int] = defaultdict(int)

    @staticmethod
    def client_key(authorization: str | None, fallback: str) -> str:
        """Buckets by the token's subject; the signature is checked later by the handler."""
        if authorization and authorization.lower().startswith("bearer "):
            try:
                claims = jwt.decode(authorization[7:].strip(), options={"verify_signature": False})
                return str(claims.get("sub", fallback))
            except jwt.InvalidTokenError:
                pass
        return fallback

    def enter(self, key: str) -> Refusal | None:
        p = self.policy
        with self._lock:
            now = self.clock()
            if p.concurrent is not None and self._running[key] >= p.concurrent:
                return Refusal(
                    1,
                    "0x80072326",
                    f"Number of concurrent requests exceeded the limit of {p.concurrent}.",
                )
            if p.requests is not None:
                seen = self._seen[key]
                while seen and seen[0] <= now - p.window_seconds:
                    seen.popleft()
                if len(seen) >= p.requests:
                    wait = math.ceil(seen[0] + p.window_seconds - now)
                    return Refusal(
                        max(1, wait),
                        "0x80072322",
                        f"Number of requests exceeded the limit of {p.requests} over "
                        f"time window of {int(p.window_seconds)} seconds.",
                    )
                seen.append(now)
            self._running[key] += 1
            return None

    def leave(self, key: str) -> None:
        with self._lock:
            self._running[key] -= 1
