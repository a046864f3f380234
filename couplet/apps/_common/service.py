"""An OData service: authentication, transactions, error bodies, `$batch`, and the HTTP app.

A concrete service (CRM, ERP) supplies its model, dialect, rules, a router that maps a
request path to an operation, and how to load a principal; this class does the rest the
same way for both.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .auth import TokenIssuer
from .batch_multipart import BatchPart, ChangeSet, count_requests, parse_batch, write_batch
from .database import Transactions
from .dialect import Dialect
from .errors import ODataError, bad_request
from .http import Reply, Request
from .model import Model
from .records import SYSTEM, Principal, Rules, Tx
from .throttle import Throttle

log = logging.getLogger(__name__)

Router = Callable[[Tx, Request], Reply]
PrincipalResolver = Callable[[sa.Connection, str, Request], Principal | None]

MAX_BATCH = 1000


class _Rollback(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class ODataService:
    def __init__(
        self,
        *,
        model: Model,
        dialect: Dialect,
        rules: Rules,
        transactions: Transactions,
        router: Router,
        resolve_principal: PrincipalResolver,
        issuer: TokenIssuer,
        throttle: Throttle,
        api_root: str,
        clock: Callable[[], dt.datetime],
        root_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self.dialect = dialect
        self.rules = rules
        self.transactions = transactions
        self.router = router
        self.resolve_principal = resolve_principal
        self.issuer = issuer
        self.throttle = throttle
        self.api_root = api_root.rstrip("/")
        self.clock = clock
        # Further roots the same API is served under, e.g. Business Central online's
        # "/v2.0/{tenant}/{environment}" before "/api" (docs/protocols.md §B13).
        self.root_prefixes = root_prefixes

    # -- request handling -------------------------------------------------------------

    def error_reply(self, error: ODataError) -> Reply:
        return Reply(error.status, self.dialect.error_body(error), dict(error.headers))

    def handle(self, req: Request) -> Reply:
        """Handles one top-level request in its own transaction; errors become replies."""
        try:
            principal_id = self.issuer.principal_id(req.header("authorization"))
            if req.method == "POST" and req.path == "$batch":
                return self._batch(req, principal_id)
            with self.transactions.begin() as conn:
                tx = self._tx(conn, principal_id, req)
                reply = self.router(tx, req)
                if reply.status >= 400:
                    raise _Rollback(reply)
                tx.flush()
                return reply
        except _Rollback as rb:
            return rb.reply
        except ODataError as err:
            return self.error_reply(err)
        except sa.exc.IntegrityError as exc:
            log.info("integrity error: %s", exc)
            return self.error_reply(
                ODataError(412, "A record with matching key values already exists.", "0x80040237")
            )
        except Exception:
            # The transaction is rolled back by now; answer in the API's error shape so that
            # clients show and log it like any other error.
            log.exception("unexpected error handling %s %s", req.method, req.path)
            return self.error_reply(ODataError(500, "An unexpected error occurred.", "0x80040216"))

    @contextmanager
    def system_tx(self) -> Iterator[Tx]:
        """One transaction as SYSTEM (seeding, maintenance): commits when the block ends
        normally, after the rules' end-of-transaction work; rolls back on an exception."""
        with self.transactions.begin() as conn:
            tx = Tx(conn, self.model, SYSTEM, self.rules, self.clock)
            yield tx
            tx.flush()

    def _tx(self, conn: sa.Connection, principal_id: str, req: Request) -> Tx:
        principal = self.resolve_principal(conn, principal_id, req)
        if principal is None:
            raise ODataError(
                401, "The caller is not a user of this service or is disabled.", "0x80048306"
            )
        return Tx(conn, self.model, principal, self.rules, self.clock)

    def _run_part(self, tx: Tx, req: Request) -> Reply:
        try:
            return self.router(tx, req)
        except ODataError as err:
            return self.error_reply(err)

    # -- $batch -----------------------------------------------------------------------

    def _batch(self, req: Request, principal_id: str) -> Reply:
        items = parse_batch(req.body, req.header("content-type"))
        if count_requests(items) > MAX_BATCH:
            raise bad_request(
                f"The number of requests in the batch exceeds the limit of {MAX_BATCH}."
            )
        keep_going = "odata.continue-on-error" in req.prefer()
        results: list[tuple[Reply, str | None] | list[tuple[Reply, str | None]]] = []
        for item in items:
            if isinstance(item, ChangeSet):
                outcome = self._changeset(item, req, principal_id)
                failed = len(outcome) == 1 and outcome[0][0].status >= 400
                results.append(outcome if not failed else outcome[0])
                if failed and not keep_going:
                    return self._first_error(outcome[0][0])
                continue
            part_req = self._part_request(item, req, {})
            try:
                with self.transactions.begin() as conn:
                    part_tx = self._tx(conn, principal_id, part_req)
                    reply = self._run_part(part_tx, part_req)
                    if reply.status >= 400:
                        raise _Rollback(reply)
                    part_tx.flush()
            except _Rollback as rb:
                reply = rb.reply
            except ODataError as err:
                reply = self.error_reply(err)
            results.append((reply, item.content_id))
            if reply.status >= 400 and not keep_going:
                return self._first_error(reply)
        body, content_type = write_batch(results)
        headers = {"Preference-Applied": "odata.continue-on-error"} if keep_going else {}
        return Reply(200, raw=body, content_type=content_type, headers=headers)

    @staticmethod
    def _first_error(reply: Reply) -> Reply:
        return Reply(400 if reply.status < 500 else reply.status, reply.body, reply.headers)

    def _changeset(
        self, changeset: ChangeSet, req: Request, principal_id: str
    ) -> list[tuple[Reply, str | None]]:
        """Runs a change set atomically; on failure answers only the failing request."""
        replies: list[tuple[Reply, str | None]] = []
        ids: dict[str, str] = {}
        try:
            with self.transactions.begin() as conn:
                tx: Tx | None = None
                for part in changeset.parts:
                    part_req = self._part_request(part, req, ids)
                    tx = tx or self._tx(conn, principal_id, part_req)
                    reply = self._run_part(tx, part_req)
                    if reply.status >= 400:
                        raise _Rollback(reply)
                    replies.append((reply, part.content_id))
                    entity_id = reply.headers.get("OData-EntityId")
                    if part.content_id and entity_id:
                        ids[part.content_id] = entity_id
                if tx is not None:
                    tx.flush()
        except _Rollback as rb:
            return [(rb.reply, None)]
        except ODataError as err:
            return [(self.error_reply(err), None)]
        return replies

    def _part_request(self, part: BatchPart, outer: Request, ids: dict[str, str]) -> Request:
        url = part.url
        ref = re.match(r"^\$(\w+)", url)
        if ref:
            if ref.group(1) not in ids:
                raise bad_request(
                    f"Content-ID Reference: '${ref.group(1)}' does not exist in the batch context."
                )
            url = ids[ref.group(1)] + url[ref.end() :]
        split = urlsplit(url)
        path = split.path
        root = self.api_root + "/"
        if root in path:
            path = path[path.index(root) + len(root) :]
        path = path.lstrip("/")
        body = part.body
        if body and b"@odata.bind" in body:
            body = _replace_references(body, ids)
        headers = {k: v for k, v in outer.headers.items() if k in ("authorization",)}
        headers.update(part.headers)
        return Request(
            method=part.method,
            path=path,
            query=dict(parse_qsl(split.query)),
            headers=headers,
            body=body,
            base_url=outer.base_url,
        )

    # -- HTTP app -----------------------------------------------------------------------

    def mount(self, app: FastAPI) -> None:
        for prefix in ("", *self.root_prefixes):
            self._mount_root(app, prefix)

    def _mount_root(self, app: FastAPI, prefix: str) -> None:
        """The token endpoint and the API under one root: `{prefix}/oauth2/token` and
        `{prefix}{api_root}/...`; the prefix's path parameters (tenant, environment) only
        shape the URLs the answers carry."""
        service = self

        def root_url(request: HttpRequest) -> str:
            named = {k: v for k, v in request.path_params.items() if k != "path"}
            return str(request.base_url) + prefix.format(**named).lstrip("/")

        @app.post(prefix + "/oauth2/token", tags=["auth"], include_in_schema=not prefix)
        async def token(request: HttpRequest) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}

            def issue() -> dict[str, object]:
                with service.transactions.begin() as conn:
                    return service.issuer.issue(conn, service.model, form)

            try:
                return JSONResponse(await run_in_threadpool(issue))
            except ODataError as err:
                return JSONResponse(
                    {"error": err.code, "error_description": err.message}, status_code=err.status
                )

        @app.api_route(
            prefix + self.api_root + "/{path:path}",
            methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            include_in_schema=False,
        )
        async def api(request: HttpRequest) -> Response:
            fallback = request.client.host if request.client else "anonymous"
            key = Throttle.client_key(request.headers.get("authorization"), fallback)
            refusal = service.throttle.enter(key) if service.throttle.policy.enabled else None
            if refusal is not None:
                err = ODataError(
                    429,
                    refusal.message,
                    refusal.code,
                    headers={"Retry-After": str(refusal.retry_after)},
                )
                reply = service.error_reply(err)
                return JSONResponse(reply.body, status_code=429, headers=reply.headers)
            try:
                root = root_url(request).rstrip("/")
                req = Request(
                    method=request.method,
                    path=request.path_params["path"],
                    query=dict(request.query_params),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=await request.body(),
                    base_url=f"{root}{service.api_root}/",
                )
                reply = await run_in_threadpool(service.handle, req)
            finally:
                if service.throttle.policy.enabled:
                    service.throttle.leave(key)
            headers = {"OData-Version": "4.0", **reply.headers}
            if reply.status == 204 or reply.status == 304:
                return Response(status_code=reply.status, headers=headers)
            media = reply.content_type or "application/json; odata.metadata=minimal"
            return Response(
                reply.encoded(), status_code=reply.status, headers=headers, media_type=media
            )


def _replace_references(body: bytes, ids: dict[str, str]) -> bytes:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    for key, value in list(data.items()):
        if key.endswith("@odata.bind") and isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in ids:
                raise bad_request(
                    f"Content-ID Reference: '{value}' does not exist in the batch context."
                )
            data[key] = ids[name]
    return json.dumps(data).encode()
