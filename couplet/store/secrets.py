"""Encryption of stored secrets (the two client secrets) with a key the engine keeps.

The key comes from COUPLET_ENGINE_SECRET_KEY, or is generated on first use into a file
beside the database (mode 600): the database alone never reveals a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ..engine.errors import ConfigError


def key_file_for(database_url: str) -> Path:
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return Path(database_url[len("sqlite:///") :]).with_suffix(".key")
    return Path(".couplet") / "engine.key"


def load_key(database_url: str, configured: str | None) -> bytes:
    if configured:
        return configured.encode()
    path = key_file_for(database_url)
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Created with mode 600 from the start, so the key is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


class SecretBox:
    def __init__(self, key: bytes) -> None:
        try:
            self.fernet = Fernet(key)
        except ValueError:
            raise ConfigError(
                "COUPLET_ENGINE_SECRET_KEY is not a valid key (32 url-safe base64-encoded bytes)."
            ) from None

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "The stored secrets cannot be decrypted with this key; was the "
                "key file or COUPLET_ENGINE_SECRET_KEY changed?"
            ) from None
