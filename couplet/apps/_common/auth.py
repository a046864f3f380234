"""OAuth2 client credentials: the token endpoint and bearer-token checks.

Clients are application users with a hashed secret; a token is a signed JWT naming the
principal, with an expiry. Which privileges a principal holds is the service's business
(`PrincipalLoader`), so the CRM can use Dataverse security roles and the ERP its permissions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

import jwt
import sqlalchemy as sa

from .errors import ODataError
from .model import Model
from .records import Principal

PrincipalLoader = Callable[[sa.Connection, str], Principal | None]


def hash_secret(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), 100_000).hex()
    return f"pbkdf2${salt}${digest}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _, salt, _ = stored.split("$", 2)
    except ValueError:
        return False
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def signing_key(conn: sa.Connection, model: Model, configured: str | None) -> str:
    """The token signing key: configured, or generated once and kept in the database so
    tokens survive a restart."""
    if configured:
        return configured
    table = model.settings
    row = conn.execute(sa.select(table.c.value).where(table.c.name == "token_key")).scalar()
    if row:
        return str(row)
    key = secrets.token_urlsafe(48)
    conn.execute(sa.insert(table).values(name="token_key", value=key))
    return key


def register_client(
    conn: sa.Connection, model: Model, client_id: str, secret: str, principal_id: str
) -> None:
    """Creates or re-keys a client (idempotent: the admin client is ensured at every start)."""
    table = model.clients
    existing = conn.execute(sa.select(table).where(table.c.client_id == client_id)).first()
    if (
        existing is not None
        and verify_secret(secret, existing.secret_hash)
        and existing.principal_id == principal_id
    ):
        return
    conn.execute(sa.delete(table).where(table.c.client_id == client_id))
    conn.execute(
        sa.insert(table).values(
            client_id=client_id, secret_hash=hash_secret(secret), principal_id=principal_id
        )
    )


def client_row(conn: sa.Connection, model: Model, client_id: str) -> sa.Row[Any] | None:
    table = model.clients
    return conn.execute(sa.select(table).where(table.c.client_id == client_id)).first()


class TokenIssuer:
    """Issues and checks the service's bearer tokens."""

    def __init__(
        self, key: str, audience: str, lifetime_seconds: int, clock: Callable[[], dt.datetime]
    ) -> None:
        self.key = key
        self.audience = audience
        self.lifetime = lifetime_seconds
        self.clock = clock

    def issue(self, conn: sa.Connection, model: Model, form: dict[str, str]) -> dict[str, object]:
        if form.get("grant_type") != "client_credentials":
            raise _oauth_error(
                "unsupported_grant_type", "Only the client_credentials grant is supported."
            )
        scope = form.get("scope")
        # The scope names the service's base URL, which depends on how it is reached (host,
        # port, proxy); any "<base>/.default" is accepted, anything else is a client mistake.
        if scope and not scope.endswith("/.default") and scope != ".default":
            raise _oauth_error(
                "invalid_scope",
                f"The scope '{scope}' is not valid for this "
                "resource; use '<service base URL>/.default'.",
            )
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        row = client_row(conn, model, client_id)
        if row is None or not verify_secret(secret, row.secret_hash):
            raise _oauth_error("invalid_client", "The client id or secret is not valid.", 401)
        return self.grant(str(row.principal_id), client_id)

    def grant(self, principal_id: str, client_id: str) -> dict[str, object]:
        """A bearer token for the principal the client signs in as."""
        now = self.clock()
        claims = {
            "sub": principal_id,
            "appid": client_id,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.lifetime,
        }
        token = jwt.encode(claims, self.key, algorithm="HS256")
        return {"token_type": "Bearer", "expires_in": self.lifetime, "access_token": token}

    def principal_id(self, authorization: str | None) -> str:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ODataError(
                401,
                "The request has no bearer token.",
                "0x80048306",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = authorization[7:].strip()
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=["HS256"],
                audience=self.audience,
                options={"verify_exp": False},
            )
        except jwt.InvalidTokenError:
            raise ODataError(
                401,
                "The bearer token is not valid.",
                "0x80048306",
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
        # Expiry is checked against the service clock (injectable in tests), not the OS clock.
        if int(claims.get("exp", 0)) <= int(self.clock().timestamp()):
            raise ODataError(
                401,
                "The bearer token has expired.",
                "0x80048306",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return str(claims["sub"])


def _oauth_error(code: str, description: str, status: int = 400) -> ODataError:
    err = ODataError(status, description, code)
    err.headers["X-OAuth-Error"] = code
    return err
