"""Webhook subscriptions: `/api/v2.0/subscriptions` and the notifier (docs/protocols.md §B8).

Registering (POST) and renewing (PATCH, `If-Match` required) both run the handshake: the
notification URL is called with `?validationToken=…` and must answer 200 with the token.
Subscriptions expire (3 days by default). The notifier waits `webhook_delay_seconds` after
the first change a subscription has not heard about, then sends every change since in one
notification - or a single `collection` entry when more than 1000 records changed. It sleeps
while nothing is pending and is woken by this service's writes (`changed`); changes another
process writes into the database are found within a few seconds. A
subscriber answering 408, 429 or 5xx (or unreachable) is retried later; any other error
deletes the subscription. Notification URLs must be loopback or an allowed host.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from ...settings import ErpSettings
from .._common.database import Transactions
from .._common.errors import ODataError
from .._common.http import Reply, Request
from .._common.model import Model
from .._common.records import SYSTEM, NoRules, Tx
from .dialect import BusinessCentralDialect
from .webhooks import SUPPORTED, merge_kind, outbox

log = logging.getLogger(__name__)
_RESOURCE = re.compile(
    r"(?:^|/)api/v2\.0/companies\((?P<company>[0-9a-fA-F-]{36})\)/"
    r"(?P<set>[A-Za-z]+)$"
)
_KEY = re.compile(r"^subscriptions(?:\('?(?P<key>[0-9A-Za-z-]+)'?\))?$")
_RETRY = {408, 429}
COLLECTION_THRESHOLD = 1000


def _bad(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, "BadRequest", target=field)


class Subscriptions:
    def __init__(
        self,
        settings: ErpSettings,
        transactions: Transactions,
        model: Model,
        dialect: BusinessCentralDialect,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.settings = settings
        self.transactions = transactions
        self.model = model
        self.dialect = dialect
        self.clock = clock
        self.entity = model.entity("subscription")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._retry_at: dict[str, dt.datetime] = {}
        # Whether the last round left notifications waiting for their time (a delay still
        # running, a subscriber to retry), and until when a wake keeps the notifier looking.
        self._waiting = False
        self._busy_until = 0.0
        self._outbox_clean = False

    # -- API --------------------------------------------------------------------------

    def handle(self, tx: Tx, req: Request, path: str) -> Reply:
        match = _KEY.match(path.strip("/"))
        if match is None:
            raise ODataError(
                404, f"Resource not found for the segment '{path}'.", "BadRequest_NotFound"
            )
        key = match.group("key")
        if key is None:
            if req.method == "GET":
                rows = tx.find("subscription")
                return Reply(200, {"value": [self._out(r) for r in rows]})
            if req.method == "POST":
                return self._create(tx, req)
            raise ODataError(405, "Only GET and POST are allowed here.")
        row = tx.get("subscription", key)
        if row is None:
            raise ODataError(404, f"The subscription {key} does not exist.", "BadRequest_NotFound")
        if req.method == "GET":
            return Reply(200, self._out(row), {"ETag": self.dialect.etag(row)})
        if req.method in ("PATCH", "DELETE"):
            if_match = req.header("if-match")
            if not if_match:
                raise ODataError(428, "If-Match is required to change a subscription.")
            if if_match != "*" and if_match != self.dialect.etag(row):
                raise ODataError(
                    412, "The subscription has changed since it was read.", "Request_EntityChanged"
                )
            if req.method == "DELETE":
                tx.delete("subscription", key, internal=True)
                return Reply(204)
            return self._renew(tx, req, row)
        raise ODataError(405, f"{req.method} is not allowed on a subscription.")

    def _out(self, row: dict[str, Any]) -> dict[str, Any]:
        out = self.dialect.represent(self.entity, row, None)
        out.pop("id", None)
        return out

    def _expiry(self) -> dt.datetime:
        return self.clock() + dt.timedelta(days=self.settings.webhook_lifetime_days)

    def _create(self, tx: Tx, req: Request) -> Reply:
        body = req.json()
        values = self.dialect.decode(tx, self.entity, body)
        url, resource = values.get("notificationUrl"), values.get("resource")
        if not url:
            raise _bad("notificationUrl is required.", "notificationUrl")
        if not resource:
            raise _bad("resource is required.", "resource")
        self._check_url(url)
        self._check_resource(tx, resource)
        self._handshake(url)
        key = uuid.uuid4().hex
        last = tx.conn.execute(sa.select(sa.func.max(outbox(self.model).c.seq))).scalar()
        row = tx.insert(
            "subscription",
            {
                "id": key,
                "subscriptionId": key,
                "notificationUrl": url,
                "resource": resource,
                "clientState": values.get("clientState") or "",
                "expirationDateTime": self._expiry(),
                "userId": tx.principal.id,
                "timestamp": int(last or 0),
            },
            internal=True,
        )
        return Reply(201, self._out(row), {"ETag": self.dialect.etag(row)})

    def _renew(self, tx: Tx, req: Request, row: dict[str, Any]) -> Reply:
        values = self.dialect.decode(tx, self.entity, req.json())
        url = values.get("notificationUrl") or row["notificationUrl"]
        self._check_url(url)
        self._handshake(url)
        changes = {"expirationDateTime": self._expiry(), "notificationUrl": url}
        if "clientState" in values:
            changes["clientState"] = values["clientState"] or ""
        tx.update("subscription", row["id"], changes, internal=True)
        updated = tx.require("subscription", row["id"])
        return Reply(200, self._out(updated), {"ETag": self.dialect.etag(updated)})

    def _check_url(self, url: str) -> None:
        split = urlsplit(url)
        host = split.hostname or ""
        if split.scheme not in ("http", "https") or not host:
            raise _bad(f"The notification URL '{url}' is not an http(s) URL.", "notificationUrl")
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback and host not in self.settings.webhook_allowed_hosts:
            raise _bad(
                f"The notification host '{host}' is not allowed; use a loopback address "
                "or add it to COUPLET_ERP_WEBHOOK_ALLOWED_HOSTS.",
                "notificationUrl",
            )

    @staticmethod
    def _check_resource(tx: Tx, resource: str) -> None:
        match = _RESOURCE.search(resource.split("?")[0])
        if match is None or match.group("set") not in SUPPORTED:
            raise _bad(
                f"The resource '{resource}' cannot be subscribed to; use "
                "/api/v2.0/companies(<id>)/<set> with one of: "
                + ", ".join(sorted(SUPPORTED))
                + ".",
                "resource",
            )
        if tx.get("company", match.group("company").lower()) is None:
            raise _bad(f"The company in '{resource}' does not exist.", "resource")

    @staticmethod
    def _handshake(url: str) -> None:
        token = secrets.token_urlsafe(24)
        try:
            answer = httpx.post(url, params={"validationToken": token}, timeout=10)
        except httpx.HTTPError as exc:
            raise _bad(
                f"The notification URL could not be reached: {exc}.", "notificationUrl"
            ) from None
        if answer.status_code != 200 or answer.text.strip().strip('"') != token:
            raise _bad(
                "The notification URL did not answer the validation token "
                f"(status {answer.status_code}).",
                "notificationUrl",
            )

    # -- notifier ---------------------------------------------------------------------

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        self._stop.clear()
        thread = threading.Thread(target=self._run, name="erp-webhooks", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._wake.set()
            await asyncio.to_thread(thread.join, 10)

    def changed(self) -> None:
        """This service wrote outbox rows: wake the notifier. It may run before the writer's
        commit is visible, so a wake keeps it looking at the busy pace for the delay and a
        little more."""
        self._wake.set()

    def _run(self) -> None:
        delay = self.settings.webhook_delay_seconds
        busy = max(0.05, min(1.0, delay / 4))
        # Idle polling only finds what other processes wrote: this process wakes it at once.
        idle = max(busy, min(5.0, max(1.0, delay)))
        while True:
            looking = self._waiting or time.monotonic() < self._busy_until
            if self._wake.wait(busy if looking else idle):
                self._wake.clear()
                self._busy_until = time.monotonic() + delay + 4 * busy
            if self._stop.is_set():
                return
            try:
                self.deliver_due()
            except Exception:  # the notifier must outlive one bad round
                log.exception("webhook delivery round failed")

    def deliver_due(self) -> int:
        """Sends the notifications that are due; returns how many were sent."""
        now = self.clock()
        with self.transactions.begin() as conn:
            subs = [
                dict(r)
                for r in conn.execute(sa.select(self.model.table("subscription"))).mappings()
            ]
        sent, dropped, waiting = 0, False, False
        for sub in subs:
            if sub["expirationDateTime"] <= now:
                self._drop(sub["id"], "expired")
                dropped = True
                continue
            if self._retry_at.get(sub["id"], now) > now:
                waiting = True
                continue
            changes = self._pending(sub)
            if not changes:
                continue
            delay = dt.timedelta(seconds=self.settings.webhook_delay_seconds)
            if changes[0]["changed_at"] + delay > now:
                waiting = True
                continue
            sent += self._send(sub, changes, now)
            waiting = waiting or sub["id"] in self._retry_at
        self._waiting = waiting
        # Pruning is a write: only after something moved a subscription's mark, or once
        # when the last subscription went.
        if sent or dropped or (not subs and not self._outbox_clean):
            self._prune()
        self._outbox_clean = not subs
        return sent

    def _pending(self, sub: dict[str, Any]) -> list[dict[str, Any]]:
        match = _RESOURCE.search(sub["resource"].split("?")[0])
        if match is None:
            return []
        table = outbox(self.model)
        with self.transactions.begin() as conn:
            return [
                dict(r)
                for r in conn.execute(
                    sa.select(table)
                    .where(
                        table.c.seq > sub["timestamp"],
                        table.c.company_id == match.group("company").lower(),
                        table.c.entity_set == match.group("set"),
                    )
                    .order_by(table.c.seq)
                ).mappings()
            ]

    def _send(self, sub: dict[str, Any], changes: list[dict[str, Any]], now: dt.datetime) -> int:
        base = sub["resource"].split("?")[0]
        common = {
            "subscriptionId": sub["subscriptionId"],
            "clientState": sub["clientState"],
            "expirationDateTime": self.dialect.represent(self.entity, sub, None)[
                "expirationDateTime"
            ],
        }
        if len({c["record_id"] for c in changes}) > COLLECTION_THRESHOLD:
            since = changes[0]["changed_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
            value = [
                {
                    **common,
                    "resource": f"{base}?$filter=lastModifiedDateTime gt {since}",
                    "changeType": "collection",
                    "lastModifiedDateTime": since,
                }
            ]
        else:
            latest: dict[str, dict[str, Any]] = {}
            for change in changes:
                first = latest.get(change["record_id"], {}).get("change_type")
                latest[change["record_id"]] = {
                    **change,
                    "change_type": merge_kind(first, change["change_type"]),
                }
            value = [
                {
                    **common,
                    "resource": f"{base}({c['record_id']})",
                    "changeType": c["change_type"],
                    "lastModifiedDateTime": c["changed_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                for c in latest.values()
            ]
        try:
            status = httpx.post(
                sub["notificationUrl"], json={"value": value}, timeout=10
            ).status_code
        except httpx.HTTPError:
            status = 503
        if 200 <= status < 300:
            self._retry_at.pop(sub["id"], None)
            with self.transactions.begin() as conn:
                table = self.model.table("subscription")
                conn.execute(
                    sa.update(table)
                    .where(table.c.id == sub["id"])
                    .values(timestamp=changes[-1]["seq"])
                )
            return 1
        if status in _RETRY or status >= 500:
            wait = max(1.0, self.settings.webhook_delay_seconds)
            self._retry_at[sub["id"]] = now + dt.timedelta(seconds=wait)
            return 0
        self._drop(sub["id"], f"subscriber answered {status}")
        return 0

    def _drop(self, key: str, why: str) -> None:
        log.info("dropping webhook subscription %s: %s", key, why)
        with self.transactions.begin() as conn:
            Tx(conn, self.model, SYSTEM, NoRules(), self.clock).delete(
                "subscription", key, internal=True
            )
        self._retry_at.pop(key, None)

    def _prune(self) -> None:
        """Forgets changes every subscription has heard about."""
        subs = self.model.table("subscription")
        table = outbox(self.model)
        with self.transactions.begin() as conn:
            low = conn.execute(sa.select(sa.func.min(subs.c.timestamp))).scalar()
            if low is None:
                conn.execute(sa.delete(table))
            else:
                conn.execute(sa.delete(table).where(table.c.seq <= low))
