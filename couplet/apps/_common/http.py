"""The transport-neutral request and reply a service handles (from HTTP or a `$batch` part)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request


@dataclass
class Request:
    method: str
    path: str  # relative to the API root, without leading slash, e.g. "accounts(…)/$count"
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    base_url: str = ""  # absolute URL of the API root, ending with "/"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.")
        return data

    def prefer(self) -> dict[str, str]:
        """The `Prefer` header as a dict: `odata.maxpagesize=10, return=representation`."""
        out: dict[str, str] = {}
        for part in (self.header("prefer") or "").split(","):
            name, _, value = part.strip().partition("=")
            if name:
                out[name.strip().lower()] = value.strip().strip('"')
        return out


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-serialisable, or None for no body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a non-JSON body (e.g. a /$count number as text)
    content_type: str | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()
