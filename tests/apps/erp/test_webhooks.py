"""Webhooks: the validationToken handshake, notifications after the coalescing delay,
renewal, retries on 5xx, dropping on other errors, and the loopback rule."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import ERP_API, ErpClient, erp_client


class Receiver:
    """A subscriber on 127.0.0.1 that answers handshakes and records notifications."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if "validationToken" in query:
                    answer, status = query["validationToken"][0].encode(), 200
                else:
                    status = receiver.status
                    if status < 300:
                        receiver.notifications.append(json.loads(body))
                    answer = b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.notifications) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.notifications


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()  # shutdown() stops serving but leaves the socket open


def _subscribe(erp: ErpClient, url: str, resource: str = "customers") -> Any:
    return erp.http.post(
        ERP_API + "subscriptions",
        headers=erp.headers(),
        json={
            "notificationUrl": url,
            "clientState": "secret-state",
            "resource": f"/api/v2.0/companies({erp.company_id})/{resource}",
        },
    )


@pytest.fixture
def slow_erp(database_url: str) -> Iterator[ErpClient]:
    """An ERP whose notifier waits two seconds: long enough that quick successive changes
    fall in one window even on a busy machine (the usual test delay is 0.2 s)."""
    with erp_client(database_url, webhook_delay_seconds=2.0) as client:
        yield client


@pytest.mark.slow
def test_subscribe_and_get_coalesced_notifications(slow_erp: ErpClient, receiver: Receiver) -> None:
    erp = slow_erp
    r = _subscribe(erp, receiver.url)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["subscriptionId"] and sub["expirationDateTime"] > "2000"
    a = erp.create("customers", {"displayName": "A"})
    erp.patch(f"customers({a['id']})", {"city": "Oslo"})
    b = erp.create("customers", {"displayName": "B"})
    erp.create("contacts", {"displayName": "Not notified"})
    notes = receiver.wait_for(1, timeout=15)
    time.sleep(0.5)
    assert len(notes) == 1  # one notification for quick successive changes
    entries = {e["resource"].rsplit("(", 1)[1].rstrip(")"): e for e in notes[0]["value"]}
    assert entries[a["id"]]["changeType"] == "created"
    assert entries[b["id"]]["changeType"] == "created"
    assert entries[a["id"]]["clientState"] == "secret-state"
    assert entries[a["id"]]["subscriptionId"] == sub["subscriptionId"]
    erp.delete(f"customers({b['id']})")
    notes = receiver.wait_for(2, timeout=15)
    assert [e["changeType"] for e in notes[1]["value"]] == ["deleted"]


def test_line_changes_notify_the_header(erp: ErpClient, receiver: Receiver) -> None:
    customer = erp.create("customers", {"displayName": "C"})
    order = erp.create("salesOrders", {"customerId": customer["id"]})
    assert _subscribe(erp, receiver.url, "salesOrders").status_code == 201
    erp.create(f"salesOrders({order['id']})/salesOrderLines", {"description": "Note"})
    notes = receiver.wait_for(1)
    assert [
        (e["changeType"], e["resource"].endswith(f"salesOrders({order['id']})"))
        for e in notes[0]["value"]
    ] == [("updated", True)]


def test_renew_delete_and_validation(erp: ErpClient, receiver: Receiver) -> None:
    sub = _subscribe(erp, receiver.url).json()
    path = ERP_API + f"subscriptions('{sub['subscriptionId']}')"
    r = erp.http.patch(path, headers=erp.headers(), json={"clientState": "new"})
    assert r.status_code == 428
    r = erp.http.patch(
        path, headers=erp.headers({"If-Match": sub["@odata.etag"]}), json={"clientState": "new"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["clientState"] == "new"
    listed = erp.http.get(ERP_API + "subscriptions", headers=erp.headers()).json()["value"]
    assert [s["subscriptionId"] for s in listed] == [sub["subscriptionId"]]
    r = erp.http.delete(path, headers=erp.headers({"If-Match": "*"}))
    assert r.status_code == 204
    r = _subscribe(erp, "http://example.com/hook")
    assert r.status_code == 400 and "not allowed" in r.text
    r = _subscribe(erp, receiver.url, "contacts")
    assert r.status_code == 400 and "resource" in r.text
    r = _subscribe(erp, "http://127.0.0.1:9/nothing-listens")
    assert r.status_code == 400 and "notificationUrl" in r.text


def test_retry_on_server_error_and_drop_on_client_error(erp: ErpClient, receiver: Receiver) -> None:
    assert _subscribe(erp, receiver.url).status_code == 201
    receiver.status = 503
    erp.create("customers", {"displayName": "Retry me"})
    time.sleep(0.6)
    assert receiver.notifications == []
    receiver.status = 200
    notes = receiver.wait_for(1, timeout=5)
    assert len(notes) == 1
    receiver.status = 404
    erp.create("customers", {"displayName": "Gone"})
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        listed = erp.http.get(ERP_API + "subscriptions", headers=erp.headers()).json()["value"]
        if not listed:
            break
        time.sleep(0.1)
    assert listed == []


def test_subscriptions_under_the_online_root(erp: ErpClient, receiver: Receiver) -> None:
    online = "/v2.0/contoso/Production"
    resource = f"http://testserver{online}/api/v2.0/companies({erp.company_id})/customers"
    r = erp.http.post(
        online + ERP_API + "subscriptions",
        headers=erp.headers(),
        json={"notificationUrl": receiver.url, "clientState": "s", "resource": resource},
    )
    assert r.status_code == 201, r.text
    created = erp.create("customers", {"displayName": "Online"})
    [note] = receiver.wait_for(1)
    assert [e["resource"] for e in note["value"]] == [f"{resource}({created['id']})"]
