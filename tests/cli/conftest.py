"""Fixtures for engine commands: an in-process CRM reached through the engine's HTTP client
factory, and an engine database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app
from couplet.cli import common
from couplet.operations.integration import Integration
from couplet.settings import CrmSettings, EngineSettings
from couplet.wiring import open_integration
from tests.conftest import fresh_databases

CRM = "http://crm.test"


@pytest.fixture
def engine_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The engine's database (migrated: a copy of its template) and a CRM on its own."""
    with fresh_databases("sqlite", tmp_path, ["crm", "engine"]) as (crm_url, engine_url):
        crm_app = create_app(
            CrmSettings(
                database_url=crm_url,
                admin_client_id="crm-app",
                admin_client_secret="crm-pw",
            )
        )

        def clients(base_url: str) -> httpx.Client:
            if base_url == CRM:
                return TestClient(crm_app, base_url=CRM)
            return httpx.Client(base_url=base_url, timeout=2)

        def factory(settings: EngineSettings) -> Integration:
            return open_integration(settings, client_factory=clients)

        monkeypatch.setattr(common, "integration_factory", factory)
        yield engine_url
        crm_app.state.engine.dispose()


ARGS = [
    "--crm-url",
    CRM,
    "--crm-client-id",
    "crm-app",
    "--crm-client-secret",
    "crm-pw",
    "--erp-url",
    "http://127.0.0.1:9",
    "--erp-client-id",
    "erp-app",
    "--erp-client-secret",
    "erp-pw",
]
