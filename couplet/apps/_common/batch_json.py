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
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

import sqlalchemy as sa

from .errors import ODataError, bad_request
from .http import Reply, Request
from .records import Tx

Route = Callable[[Tx, Request], Reply]
ErrorReply = Callable[[ODataError], Reply]


_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _invalid(message: str) -> ODataError:
    return bad_request(message, code="BadRequest", target="requests")


def _check_items(items: list[Any]) -> None:
    """Every request is checked before any runs: a malformed one makes the whole batch a
    400, as a malformed body would (the OData JSON format's batch rules)."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _invalid(f"Request {index + 1} of the batch is not a JSON object.")
        if not isinstance(item.get("id", ""), str):
            raise _invalid(f"The id of request {index + 1} must be a non-empty string.")
        name = _item_id(item, index)
        if not name:
            raise _invalid(f"The id of request {index + 1} must be a non-empty string.")
        if name in seen:
            raise _invalid(f"The id '{name}' is used by more than one request of the batch.")
        method, url = item.get("method"), item.get("url")
        if not isinstance(method, str) or method.upper() not in _METHODS:
            raise _invalid(f"Request '{name}' needs a method: one of {', '.join(_METHODS)}.")
        if not isinstance(url, str) or not url:
            raise _invalid(f"Request '{name}' needs a url.")
        headers = item.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise _invalid(f"The headers of request '{name}' must be an object of strings.")
        depends = item.get("dependsOn", [])
        if not isinstance(depends, list) or not all(
            isinstance(d, str) and d in seen for d in depends
        ):
            raise _invalid(
                f"The dependsOn of request '{name}' must list ids of requests before it."
            )
        seen.add(name)


def _item_id(item: dict[str, Any], index: int) -> str:
    return str(item.get("id", index + 1))


def resolve_url(url: str, outer: Request) -> tuple[str, str]:
    """An inner request's path relative to the API root, and its query string.

    The url is resolved against the batch's own URL the way any URL reference is: absolute
    (`https://host/…/api/v2.0/companies(…)`), absolute path (`/…/api/v2.0/companies(…)`) or
    relative to the batch endpoint (`companies(…)`). It must land in the service the batch
    was posted to: under Business Central online an absolute path without the tenant and
    environment does not (docs/protocols.md §B7, §B13).
    """
    batch_url = outer.base_url + outer.path
    root = _normal(outer.base_url)
    service_root = _normal(batch_url).rsplit("/", 1)[0] + "/"
    resolved = urljoin(batch_url, url)
    target = _normal(resolved)
    if not (target + "/").startswith(service_root):
        raise ODataError(
            400,
            f"The URI '{url}' is not valid because it is not based on '{service_root}'.",
            "BadRequest_InvalidRequestUrl",
        )
    path = unquote(target[len(root) :])
    if path.rsplit("/", 1)[-1] == "$batch":
        raise bad_request("A batch cannot contain another batch.", code="BadRequest")
    return path, urlsplit(resolved).query


def _normal(url: str) -> str:
    """The URL without query and fragment; scheme and host compare case-insensitively."""
    split = urlsplit(url)
    return urlunsplit((split.scheme.lower(), split.netloc.lower(), split.path, "", ""))


def _sub_request(item: dict[str, Any], outer: Request) -> Request:
    path, query = resolve_url(item["url"], outer)
    headers = {k.lower(): v for k, v in item.get("headers", {}).items()}
    if "authorization" in outer.headers:
        headers["authorization"] = outer.headers["authorization"]
    body = item.get("body")
    raw = json.dumps(body).encode() if body is not None else b""
    return Request(
        method=item["method"].upper(),
        path=path,
        query=dict(parse_qsl(query)),
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
    max_operations: int = 100,
) -> Reply:
    data = req.json()
    items = data.get("requests")
    if not isinstance(items, list):
        raise _invalid("The batch body needs a 'requests' array.")
    if len(items) > max_operations:
        raise bad_request(
            f"The batch has {len(items)} operations; at most {max_operations} are allowed."
        )
    _check_items(items)
    atomic = (req.header("isolation") or "").lower() == "snapshot"
    whole = tx.conn.begin_nested() if atomic else None
    responses: list[dict[str, Any]] = []
    failed: set[str] = set()
    for index, item in enumerate(items):
        request_id = _item_id(item, index)
        depends = list(item.get("dependsOn", []))
        if failed.intersection(depends):
            responses.append(_failed_dependency(request_id, sorted(failed & set(depends))[0]))
            failed.add(request_id)
            continue
        # Scratch values are flat containers (sets of ids, flags): copying each one is
        # enough to restore them, and a deep copy per operation grew with the batch.
        scratch = {k: copy.copy(v) for k, v in tx.scratch.items()}
        savepoint = tx.conn.begin_nested()
        try:
            reply = route(tx, _sub_request(item, req))
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
                _failed_dependency(_item_id(i, n), request_id)
                for n, i in enumerate(items)
                if _item_id(i, n) not in done
            ]
            return Reply(200, {"responses": responses})
    if whole is not None:
        whole.commit()
    return Reply(200, {"responses": responses})
