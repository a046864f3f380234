"""Who may use the engine's web app and REST API: the admin's password, API tokens, the
admin pages' sessions and the failed sign-ins that throttle guessing (docs/operations.md,
"Credentials and sign-in").

Passwords are hashed with Argon2 (argon2-cffi). API tokens are `cpl_<id>_<secret>` with a
random 256-bit secret; only the SHA-256 of the secret is kept (a token is high-entropy, so
a fast hash is safe and a request is checked in microseconds), looked up by its id. Session
ids are kept the same way, so a copy of the table signs no one in.

They live in the engine's key-value table (`flow_cursor`, keys `auth:…`) rather than
tables of their own, so no migration is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import tables as t

ADMIN = "auth:admin:"
TOKEN = "auth:token:"
SESSION = "auth:session:"
FAILURES = "auth:failures:"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class WebSession:
    user: str
    started_at: dt.datetime
    seen_at: dt.datetime


@dataclass(frozen=True)
class FailedSignIns:
    """Failed sign-ins of one user name or one address since the last success."""

    count: int
    last_at: dt.datetime


@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    created_at: str


def new_password() -> str:
    return secrets.token_urlsafe(12)


class SqlCredentials:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def _get(self, key: str) -> dict[str, Any] | None:
        c = t.flow_cursor.c
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(c.value).where(c.name == key)).scalar()
        return json.loads(value) if value else None

    def _put(self, key: str, value: dict[str, Any]) -> None:
        c = t.flow_cursor.c
        row = {"value": json.dumps(value), "updated_at": dt.datetime.now(dt.UTC)}
        with self.engine.begin() as conn:
            if conn.execute(sa.update(t.flow_cursor).where(c.name == key).values(**row)).rowcount:
                return
            conn.execute(sa.insert(t.flow_cursor).values(name=key, **row))

    def _delete(self, key: str) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(sa.delete(t.flow_cursor).where(t.flow_cursor.c.name == key))
            return bool(gone.rowcount)

    # -- the admin ------------------------------------------------------------------------

    def has_admin(self) -> bool:
        c = t.flow_cursor.c
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(c.name).where(c.name.startswith(ADMIN))).first()
        return found is not None

    def set_admin(self, username: str, password: str) -> None:
        self._put(ADMIN + username, {"hash": _hasher.hash(password)})

    def check_password(self, username: str, password: str) -> bool:
        stored = self._get(ADMIN + username)
        if stored is None:
            return False
        try:
            return bool(_hasher.verify(stored["hash"], password))
        except (VerificationError, InvalidHashError):
            return False

    # -- API tokens -----------------------------------------------------------------------

    def create_token(self, name: str) -> tuple[ApiToken, str]:
        """A new token: its record, and the token itself (shown once, never stored)."""
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        digest = hashlib.sha256(secret.encode()).hexdigest()
        self._put(TOKEN + token_id, {"name": name, "sha256": digest, "created_at": created})
        return ApiToken(token_id, name, created), f"cpl_{token_id}_{secret}"

    def tokens(self) -> list[ApiToken]:
        c = t.flow_cursor.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.name, c.value).where(c.name.startswith(TOKEN)).order_by(c.name)
            ).all()
        found = [(name[len(TOKEN) :], json.loads(value)) for name, value in rows]
        return [ApiToken(i, v["name"], v["created_at"]) for i, v in found]

    def revoke(self, token_id: str) -> bool:
        return self._delete(TOKEN + token_id)

    def check_token(self, token: str) -> bool:
        prefix, _, rest = token.partition("_")
        token_id, _, secret = rest.partition("_")
        if prefix != "cpl" or not token_id or not secret:
            return False
        stored = self._get(TOKEN + token_id)
        if stored is None:
            return False
        digest = hashlib.sha256(secret.encode()).hexdigest()
        return hmac.compare_digest(digest, str(stored["sha256"]))

    # -- admin page sessions --------------------------------------------------------------

    def start_session(self, user: str, now: dt.datetime) -> str:
        """A new session for `user`; returns its id (kept only as a hash)."""
        session_id = secrets.token_urlsafe(32)
        stamp = now.isoformat()
        self._put(_session_key(session_id), {"user": user, "started": stamp, "seen": stamp})
        return session_id

    def session(self, session_id: str) -> WebSession | None:
        stored = self._get(_session_key(session_id))
        if stored is None:
            return None
        return WebSession(
            str(stored["user"]),
            dt.datetime.fromisoformat(stored["started"]),
            dt.datetime.fromisoformat(stored["seen"]),
        )

    def touch_session(self, session_id: str, now: dt.datetime) -> None:
        stored = self._get(_session_key(session_id))
        if stored is not None:
            self._put(_session_key(session_id), {**stored, "seen": now.isoformat()})

    def end_session(self, session_id: str) -> None:
        self._delete(_session_key(session_id))

    # -- failed sign-ins ------------------------------------------------------------------

    def failed_sign_ins(self, key: str) -> FailedSignIns | None:
        stored = self._get(FAILURES + key)
        if stored is None:
            return None
        return FailedSignIns(int(stored["count"]), dt.datetime.fromisoformat(stored["last"]))

    def record_failed_sign_in(self, key: str, count: int, now: dt.datetime) -> None:
        self._put(FAILURES + key, {"count": count, "last": now.isoformat()})

    def clear_failed_sign_ins(self, key: str) -> None:
        self._delete(FAILURES + key)


def _session_key(session_id: str) -> str:
    return SESSION + hashlib.sha256(session_id.encode()).hexdigest()
