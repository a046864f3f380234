"""Client side of Dataverse's multipart `$batch`: independent operations, one reply each.

Each operation is its own part (no change set), sent with `odata.continue-on-error`, so one
bad row fails alone and the others are written - what a synchronization job needs.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...engine.errors import SyncError


@dataclass(frozen=True)
class Operation:
    method: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PartReply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return str(self.body["error"].get("message") or self.body["error"])
        return f"HTTP {self.status}"


def encode(operations: list[Operation]) -> tuple[bytes, str]:
    boundary = f"batch_{uuid.uuid4()}"
    chunks: list[str] = []
    for op in operations:
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"{op.method} {op.url} HTTP/1.1",
            "Accept: application/json",
        ]
        if op.body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in op.headers.items()]
        lines.append("")
        chunks.append(
            "\r\n".join(lines)
            + "\r\n"
            + (json.dumps(op.body, default=_json) if op.body is not None else "")
        )
    body = "\r\n".join(chunks) + f"\r\n--{boundary}--\r\n"
    return body.encode(), f"multipart/mixed; boundary={boundary}"


def _json(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def decode(content: bytes, content_type: str) -> list[PartReply]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise SyncError("The $batch response has no multipart boundary.")
    replies: list[PartReply] = []
    for block in content.split(b"--" + match.group(1).encode())[1:]:
        if block.startswith(b"--"):
            break
        text = block.replace(b"\r\n", b"\n").strip(b"\n")
        _, _, http = text.partition(b"\n\n")
        status_line, _, rest = http.partition(b"\n")
        head, _, body = rest.partition(b"\n\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        payload: Any = None
        if body.strip():
            try:
                payload = json.loads(body, parse_float=Decimal)
            except ValueError:
                payload = body.decode("utf-8", "replace")
        replies.append(PartReply(int(status_line.split()[1]), headers, payload))
    return replies
