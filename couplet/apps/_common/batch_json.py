"""OData JSON `$batch` (the format Business Central uses; docs/protocols.md §B7).

Body: `{"requests": [{"id", "method", "url", "headers"?, "body"?, "dependsOn"?}]}`;
answer: `{"responses": [{"id", "status", "headers", "body"}]}`. All requests run in the
caller's transaction, each inside a savepoint: a failing request is undone alone and the
others stand - unless the batch asked for `Isolation: snapshot`, which makes it all or
nothing (every request is then answered, the failed one with its error and the rest with
424 Failed Dependency, and nothing is kept). A request that `dependsOn` a failed one is
not run and answers 424.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa

from .errors import ODataError, bad_request
from .http import Reply, Request
from .records import Tx

Route = Callable[[Tx, Request], Reply]
ErrorReply = Callable[[ODataError], Reply]


def _sub_request(item: dict[str, Any], outer: Request, api_root: str) -> Request:
    method = str(item.get("method", "")).upper()
    url = item.get("url")
    if method not in ("GET", "POST", "PATCH", "PUT", "DELETE") or not isinstance(url, str):
        raise bad_request("Each batch request needs a method and a url.", target="requests")
    split = urlsplit(url)
    path = split.path
    root = api_root.strip("/") + "/"
    if split.scheme or path.startswith("/"):
        path = path.lstrip("/")
        if root in path:
            path = path[path.index(root) + len(root) :]
    else:
        # Relative URLs are relative to where the batch was posted (e.g. "v2.0/$batch").
        folder = outer.path.rsplit("/", 1)[0] + "/" if "/" in outer.path else ""
        path = folder + path
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    if "authorization" in outer.headers:
        headers["authorization"] = outer.headers["authorization"]
    body = item.get("body")
    raw = json.dumps(body).encode() if body is not None else b""
    return Request(
        method=method,
        path=path,
        query=dict(parse_qsl(split.query)),
        headers=headers,
        body=raw,
        base_url=outer.base_url,
    )


def _response(request_id: str, reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"id": request_id, "status": reply.status, "headers": reply.headers}
    if reply.body is not None:
        out["body"] = reply.body
    elif reply.raw is not None:
        out["body"] = reply.raw.decode()
    return out


def _failed_dependency(request_id: str, cause: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "status": 424,
        "headers": {},
        "body": {
            "error": {
                "code": "FailedDependency",
                "message": f"Not run or undone because request {cause} failed.",
            }
        },
    }


def run_json_batch(
    tx: Tx,
    req: Request,
    route: Route,
    error_reply: ErrorReply,
    *,
    api_root: str,
    max_operations: int = 100,
) -> Reply:
    data = req.json()
    items = data.get("requests")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("The batch body needs a 'requests' array.", target="requests")
    if len(items) > max_operations:
        raise bad_request(
            f"The batch has {len(items)} operations; at most {max_operations} are allowed."
        )
    atomic = (req.header("isolation") or "").lower() == "snapshot"
    whole = tx.conn.begin_nested() if atomic else None
    responses: list[dict[str, Any]] = []
    failed: set[str] = set()
    for index, item in enumerate(items):
        request_id = str(item.get("id", index + 1))
        depends = [str(x) for x in item.get("dependsOn") or []]
        if failed.intersection(depends):
            responses.append(_failed_dependency(request_id, sorted(failed & set(depends))[0]))
            failed.add(request_id)
            continue
        # Scratch values are flat containers (sets of ids, flags): copying each one is
        # enough to restore them, and a deep copy per operation grew with the batch.
        scratch = {k: copy.copy(v) for k, v in tx.scratch.items()}
        savepoint = tx.conn.begin_nested()
        try:
            reply = route(tx, _sub_request(item, req, api_root))
        except ODataError as err:
            reply = error_reply(err)
        except sa.exc.IntegrityError:
            reply = error_reply(ODataError(409, "The record already exists."))
        if reply.status >= 400:
            savepoint.rollback()
            tx.scratch.clear()
            tx.scratch.update(scratch)
            failed.add(request_id)
        else:
            savepoint.commit()
        responses.append(_response(request_id, reply))
        if atomic and reply.status >= 400:
            assert whole is not None
            whole.rollback()
            tx.scratch.clear()
            done = {r["id"] for r in responses}
            responses = [
                r if r["id"] == request_id else _failed_dependency(r["id"], request_id)
                for r in responses
            ] + [
                _failed_dependency(str(i.get("id", n + 1)), request_id)
                for n, i in enumerate(items)
                if str(i.get("id", n + 1)) not in done
            ]
            return Reply(200, {"responses": responses})
    if whole is not None:
        whole.commit()
    return Reply(200, {"responses": responses})
