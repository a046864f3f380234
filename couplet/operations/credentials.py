"""The web app's admin sign-in and API tokens."""

from __future__ import annotations

from ..store.credentials import ApiToken, new_password
from .parts import Parts


def ensure_admin(parts: Parts) -> str | None:
    """Creates the web app's admin with a new password when there is none yet; returns
    that password (to be shown once), or None when an admin exists."""
    if parts.credentials.has_admin():
        return None
    password = new_password()
    parts.credentials.set_admin(parts.admin_user, password)
    return password


def create_token(parts: Parts, name: str) -> tuple[ApiToken, str]:
    """A new API token (its secret is returned once)."""
    return parts.credentials.create_token(name)


def tokens(parts: Parts) -> list[ApiToken]:
    return parts.credentials.tokens()


def revoke_token(parts: Parts, token_id: str) -> bool:
    return parts.credentials.revoke(token_id)
