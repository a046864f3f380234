"""OData multipart `$batch` bodies (Dataverse): parsing requests and writing responses.

Written here because the multipart/mixed variant OData uses (nested change sets whose parts
are raw HTTP messages) is not what form-data parsers like python-multipart handle.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from .errors import bad_request
from .http import Reply


@dataclass
class BatchPart:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    parts: list[BatchPart] = field(default_factory=list)


def boundary_of(content_type: str | None) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type or not content_type.lower().startswith("multipart/mixed") or not match:
        raise bad_request("A $batch request needs Content-Type multipart/mixed with a boundary.")
    return match.group(1)


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode()
    chunks = body.split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(chunk.strip(b"\r\n"))
    return parts


def _parse_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _headers_and_rest(block: bytes) -> tuple[dict[str, str], bytes]:
    head, _, rest = block.replace(b"\r\n", b"\n").partition(b"\n\n")
    return _parse_headers(head), rest


def _request(block: bytes) -> BatchPart:
    outer, rest = _headers_and_rest(block)
    if "application/http" not in outer.get("content-type", "application/http"):
        raise bad_request("Each $batch part must have Content-Type application/http.")
    request_line, _, after = rest.lstrip(b"\n").partition(b"\n")
    words = request_line.decode("utf-8", "replace").split()
    if len(words) < 2:
        raise bad_request("A $batch part has no request line.")
    head, _, body = after.partition(b"\n\n")
    headers = _parse_headers(head)
    return BatchPart(
        method=words[0].upper(),
        url=words[1],
        headers=headers,
        body=body.strip(),
        content_id=outer.get("content-id") or headers.get("content-id"),
    )


def parse_batch(body: bytes, content_type: str | None) -> list[BatchPart | ChangeSet]:
    items: list[BatchPart | ChangeSet] = []
    for block in _split(body, boundary_of(content_type)):
        headers, rest = _headers_and_rest(block)
        if headers.get("content-type", "").lower().startswith("multipart/mixed"):
            changeset = ChangeSet(
                [_request(b) for b in _split(rest, boundary_of(headers["content-type"]))]
            )
            for part in changeset.parts:
                if part.method == "GET":
                    raise bad_request("GET requests are not allowed inside a change set.")
            items.append(changeset)
        else:
            items.append(_request(block))
    return items


def count_requests(items: list[BatchPart | ChangeSet]) -> int:
    return sum(len(i.parts) if isinstance(i, ChangeSet) else 1 for i in items)


def _http_message(reply: Reply, content_id: str | None) -> bytes:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    reason = HTTPStatus(reply.status).phrase
    lines += ["", f"HTTP/1.1 {reply.status} {reason}"]
    body = reply.encoded()
    if body:
        lines.append(
            f"Content-Type: {reply.content_type or 'application/json; odata.metadata=minimal'}"
        )
    lines += [f"{k}: {v}" for k, v in reply.headers.items()]
    lines.append("")
    return "\r\n".join(lines).encode() + b"\r\n" + body


def write_batch(
    results: list[tuple[Reply, str | None] | list[tuple[Reply, str | None]]],
) -> tuple[bytes, str]:
    """Serialises replies; a list stands for a change set's replies."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    out = b""
    for item in results:
        out += f"--{boundary}\r\n".encode()
        if isinstance(item, list):
            cs = f"changesetresponse_{uuid.uuid4()}"
            out += f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n".encode()
            for reply, cid in item:
                out += f"--{cs}\r\n".encode() + _http_message(reply, cid) + b"\r\n"
            out += f"--{cs}--\r\n".encode()
        else:
            out += _http_message(item[0], item[1]) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/mixed; boundary={boundary}"
