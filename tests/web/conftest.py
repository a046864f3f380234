"""The engine's web app over both reference services running in-process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from couplet.web.app import create_app
from couplet.wiring import Engine
from tests.integration.conftest import CRM, ERP, Systems, systems

__all__ = ["Web", "systems", "web"]

CONNECTION = {
    "crm_url": CRM,
    "crm_client_id": "crm-app",
    "crm_client_secret": "crm-pw",
    "erp_url": ERP,
    "erp_client_id": "erp-app",
    "erp_client_secret": "erp-pw",
}


@dataclass
class Web:
    http: TestClient
    systems: Systems
    engine: Engine

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
        yield Web(http, systems, engine)
    engine.close()
