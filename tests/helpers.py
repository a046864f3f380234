"""Test helpers that speak HTTP to the services in-process (Starlette's TestClient)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app
from couplet.apps.erp.app import create_app as create_erp_app
from couplet.settings import CrmSettings, ErpSettings

API = "/api/data/v9.2/"
ADMIN_ID, ADMIN_SECRET = "admin-client", "admin-secret"


class CrmClient:
    """An authenticated client of the reference CRM with a few shortcuts."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http = http
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "OData-Version": "4.0",
            **(extra or {}),
        }

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(API + path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(
            API + path, json=body, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.http.patch(
            API + path, json=body, headers=self.headers(kw.pop("headers", None)), **kw
        )

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


def token_for(http: httpx.Client, client_id: str, secret: str) -> str:
    r = http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@contextmanager
def crm_client(
    database_url: str, clock: Callable[[], dt.datetime] | None = None, **settings: Any
) -> Iterator[CrmClient]:
    app = create_app(
        CrmSettings(
            database_url=database_url,
            admin_client_id=ADMIN_ID,
            admin_client_secret=ADMIN_SECRET,
            **settings,
        ),
        clock=clock,
    )
    with TestClient(app) as http:
        yield CrmClient(http, token_for(http, ADMIN_ID, ADMIN_SECRET))
    app.state.engine.dispose()


ERP_API = "/api/v2.0/"
ERP_CUSTOM = "/api/couplet/integration/v1.0/"


class ErpClient:
    """An authenticated client of the reference ERP, scoped to its first company.

    Paths are relative to `/api/v2.0/companies(<id>)/` (or the custom group with
    `custom=True`); `url()` gives the absolute path for other uses.
    """

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http = http
        self.token = token
        r = http.get(ERP_API + "companies", headers=self.headers())
        assert r.status_code == 200, r.text
        self.company_id = str(r.json()["value"][0]["id"])

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            **(extra or {}),
        }

    def url(self, path: str, custom: bool = False) -> str:
        root = ERP_CUSTOM if custom else ERP_API
        return f"{root}companies({self.company_id})/{path}"

    def get(self, path: str, custom: bool = False, **kw: Any) -> httpx.Response:
        return self.http.get(
            self.url(path, custom), headers=self.headers(kw.pop("headers", None)), **kw
        )

    def post(self, path: str, body: Any = None, custom: bool = False, **kw: Any) -> httpx.Response:
        return self.http.post(
            self.url(path, custom), json=body, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def patch(
        self, path: str, body: Any, etag: str | None = "*", custom: bool = False, **kw: Any
    ) -> httpx.Response:
        extra = {"If-Match": etag} if etag else {}
        extra.update(kw.pop("headers", None) or {})
        return self.http.patch(self.url(path, custom), json=body, headers=self.headers(extra), **kw)

    def delete(
        self, path: str, etag: str | None = "*", custom: bool = False, **kw: Any
    ) -> httpx.Response:
        extra = {"If-Match": etag} if etag else {}
        return self.http.delete(self.url(path, custom), headers=self.headers(extra), **kw)

    def create(self, path: str, body: dict[str, Any], custom: bool = False) -> dict[str, Any]:
        r = self.post(path, body, custom=custom)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def row(self, path: str, custom: bool = False) -> dict[str, Any]:
        r = self.get(path, custom=custom)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def rows(self, path: str, custom: bool = False, **params: str) -> list[dict[str, Any]]:
        r = self.get(path, custom=custom, params=params)
        assert r.status_code == 200, r.text
        return list(r.json()["value"])

    def action(self, path: str, custom: bool = False) -> httpx.Response:
        return self.post(path, None, custom=custom)

    def as_client(self, client_id: str, secret: str) -> ErpClient:
        return ErpClient(self.http, token_for(self.http, client_id, secret))


@contextmanager
def erp_client(
    database_url: str, clock: Callable[[], dt.datetime] | None = None, **settings: Any
) -> Iterator[ErpClient]:
    app = create_erp_app(
        ErpSettings(
            database_url=database_url,
            admin_client_id=ADMIN_ID,
            admin_client_secret=ADMIN_SECRET,
            **{"webhook_delay_seconds": 0.2, **settings},
        ),
        clock=clock,
    )
    with TestClient(app) as http:
        yield ErpClient(http, token_for(http, ADMIN_ID, ADMIN_SECRET))
    app.state.engine.dispose()
