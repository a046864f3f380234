"""The transport-neutral request and reply a service handles (from HTTP or a `$batch` part)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request

# Bodies nest a few levels (a document, its lines, a bind); deeper ones are refused before
# anything walks them recursively.
MAX_JSON_DEPTH = 32


def _depth(data: Any) -> int:
    """How deeply a parsed JSON value nests, walked without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            stack.extend((child, level + 1) for child in children)
    return deepest


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
        except RecursionError:
            data = None  # past the parser's own limit
            too_deep = True
        else:
            too_deep = _depth(data) > MAX_JSON_DEPTH
        if too_deep:
            raise bad_request(f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
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
