"""The engine's web app over both reference services running in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from couplet.operations.integration import Integration
from couplet.web.app import create_app
from tests.integration.conftest import CRM, ERP, Systems, erp_root, systems

__all__ = ["Web", "erp_root", "systems", "web"]

CONNECTION = {
    "crm_url": CRM,
    "crm_client_id": "crm-app",
    "crm_client_secret": "crm-pw",
    "erp_url": ERP,
    "erp_client_id": "erp-app",
    "erp_client_secret": "erp-pw",
}


ADMIN = ("admin", "admin-pw")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(http: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = CSRF.search(http.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(engine: Integration, http: TestClient) -> str:
    """Signs the client in to the UI and gives it an API token; returns the CSRF token."""
    engine.credentials.set_admin(*ADMIN)
    _, token = engine.credentials.create_token("tests")
    http.headers["Authorization"] = f"Bearer {token}"
    data = {"username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_of(http)}
    assert http.post("/login", data=data, follow_redirects=False).status_code == 303
    return csrf_of(http, "/")


@dataclass
class Web:
    http: TestClient
    systems: Systems
    engine: Integration
    csrf: str

    def seed(self) -> None:
        """Customers on both sides (one on each only, one on both) and an item."""
        erp, crm = self.systems.erp, self.systems.crm
        for name, city in (("Adatum Corporation", "Atlanta"), ("Trey Research", "Chicago")):
            erp.create("customers", {"displayName": name, "city": city})
        for name in ("Trey Research", "Fourth Coffee"):
            crm.create("accounts", {"name": name, "customertypecode": 3})
        erp.create("items", {"displayName": "Touring Bike", "unitPrice": 1200})

    def enable(self) -> None:
        assert self.http.put("/api/v1/connection", json=CONNECTION).status_code == 200
        assert self.http.post("/api/v1/connection/enable").status_code == 200


@pytest.fixture
def web(systems: Systems) -> Iterator[Web]:
    engine = systems.engine()
    with TestClient(create_app(engine)) as http:
        yield Web(http, systems, engine, sign_in(engine, http))
    engine.close()
