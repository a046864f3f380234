"""Test helpers that speak HTTP to the services in-process (Starlette's TestClient)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app
from couplet.settings import CrmSettings

API = "/api/data/v9.2/"
ADMIN_ID, ADMIN_SECRET = "admin-client", "admin-secret"


class CrmClient:
    """An authenticated client of the reference CRM with a few shortcuts."""

    def __init__(self, http: TestClient, token: str) -> None:
        self.http = http
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                "OData-Version": "4.0", **(extra or {})}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(API + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(API + path, json=body, headers=self.headers(kw.pop("headers", None)),
                              **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.http.patch(API + path, json=body,
                               headers=self.headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(API + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def create(self, entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
        """POSTs with return=representation and returns the created row (asserting 201)."""
        r = self.post(entity_set, body, headers={"Prefer": "return=representation"})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def row(self, entity_set: str, key: str) -> dict[str, Any]:
        r = self.get(f"{entity_set}({key})")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def as_client(self, client_id: str, secret: str) -> CrmClient:
        return CrmClient(self.http, token_for(self.http, client_id, secret))


def token_for(http: TestClient, client_id: str, secret: str) -> str:
    r = http.post("/oauth2/token", data={"grant_type": "client_credentials",
                                          "client_id": client_id, "client_secret": secret})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@contextmanager
def crm_client(database_url: str, clock: Callable[[], dt.datetime] | None = None,
               **settings: Any) -> Iterator[CrmClient]:
    app = create_app(CrmSettings(database_url=database_url, admin_client_id=ADMIN_ID,
                                 admin_client_secret=ADMIN_SECRET, **settings), clock=clock)
    with TestClient(app) as http:
        yield CrmClient(http, token_for(http, ADMIN_ID, ADMIN_SECRET))
    app.state.engine.dispose()
