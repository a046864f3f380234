"""Signing in to the admin pages: sessions kept on the server, and throttled guessing
(docs/operations.md, "Credentials and sign-in").

A session lives in the engine's database, so signing out ends it everywhere: a copied
cookie is worthless afterwards. Failed sign-ins are counted per user name and per address;
past a few, each further attempt waits twice as long as the last, up to a quarter of an
hour, and during the wait even the right password is refused - that is what makes
guessing slow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..store.credentials import FailedSignIns
from .parts import Parts

# A session ends after this long without a page view, and at the latest this long after
# signing in.
IDLE = dt.timedelta(hours=8)
LIFETIME = dt.timedelta(days=7)
# Seen-at is written at most this often, so browsing does not write on every page.
TOUCH_EVERY = dt.timedelta(minutes=1)
# Failures allowed before waits start; the first wait; the longest.
FREE_FAILURES = 5
FIRST_WAIT = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(minutes=15)
# Failures older than this are forgotten.
FAILURE_MEMORY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session id, or why not (and for how long, when throttled)."""

    session_id: str | None = None
    retry_after: int | None = None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username.lower()}", f"address:{address}"


def _wait(failed: FailedSignIns | None, now: dt.datetime) -> dt.timedelta:
    """How long sign-ins with these failures must still wait (zero when they need not)."""
    if failed is None or failed.count < FREE_FAILURES or now - failed.last_at > FAILURE_MEMORY:
        return dt.timedelta(0)
    # Capped doubling: 2**10 waits of 30 s is already far past the longest wait.
    doublings = min(failed.count - FREE_FAILURES, 10)
    wait = min(FIRST_WAIT * (1 << doublings), LONGEST_WAIT)
    return max(failed.last_at + wait - now, dt.timedelta(0))


def sign_in(parts: Parts, username: str, password: str, address: str) -> SignIn:
    now = parts.clock()
    keys = _keys(username, address)
    failures = {key: parts.credentials.failed_sign_ins(key) for key in keys}
    wait = max(_wait(failed, now) for failed in failures.values())
    if wait > dt.timedelta(0):
        # Refused before the password is looked at, and not counted: a throttled guess
        # learns nothing and does not lengthen the wait of the person it locks out.
        return SignIn(retry_after=max(1, int(wait.total_seconds() + 0.999)))
    if not parts.credentials.check_password(username, password):
        for key, failed in failures.items():
            remembered = failed is not None and now - failed.last_at <= FAILURE_MEMORY
            count = failed.count + 1 if failed is not None and remembered else 1
            parts.credentials.record_failed_sign_in(key, count, now)
        return SignIn()
    for key in keys:
        parts.credentials.clear_failed_sign_ins(key)
    return SignIn(session_id=parts.credentials.start_session(username, now))


def session_user(parts: Parts, session_id: str | None) -> str | None:
    """The user a live session belongs to; None when there is no such session or it ended."""
    if not session_id:
        return None
    session = parts.credentials.session(session_id)
    if session is None:
        return None
    now = parts.clock()
    if now - session.seen_at > IDLE or now - session.started_at > LIFETIME:
        parts.credentials.end_session(session_id)
        return None
    if now - session.seen_at > TOUCH_EVERY:
        parts.credentials.touch_session(session_id, now)
    return session.user


def sign_out(parts: Parts, session_id: str | None) -> None:
    if session_id:
        parts.credentials.end_session(session_id)
