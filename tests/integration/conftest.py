"""Both reference services in-process and the engine talking to them over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app as create_crm
from couplet.apps.crm.app import ensure_application_user
from couplet.apps.crm.security import SYSTEM_ADMINISTRATOR
from couplet.apps.erp.app import create_app as create_erp
from couplet.apps.erp.security import ensure_api_user
from couplet.cli import common
from couplet.operations.integration import Integration
from couplet.settings import CrmSettings, EngineSettings, ErpSettings
from couplet.wiring import open_integration
from tests.conftest import POSTGRES_MARKS, DatabaseFactory
from tests.helpers import CrmClient, ErpClient, token_for

CRM, ERP = "http://crm.test", "http://erp.test"
# Business Central online's service root shape, served by the reference ERP as well.
ERP_ONLINE = ERP + "/v2.0/contoso/Production"
# Both ERP roots for `parametrize(("backend", "erp_root"), ERP_ROOTS)`: the on-premises root
# on both databases, the online one on SQLite only - a URL's shape does not depend on the
# engine's database, and each end-to-end run costs seconds.
ERP_ROOTS = [
    pytest.param("sqlite", ERP, id="sqlite-on-premises"),
    pytest.param("postgres", ERP, id="postgres-on-premises", marks=POSTGRES_MARKS),
    pytest.param("sqlite", ERP_ONLINE, id="sqlite-online"),
]
PERSON = ("a-person", "person-pw")
SETUP = [
    "--crm-url",
    CRM,
    "--crm-client-id",
    "crm-app",
    "--crm-client-secret",
    "crm-pw",
    "--erp-url",
    ERP,
    "--erp-client-id",
    "erp-app",
    "--erp-client-secret",
    "erp-pw",
]


@dataclass
class Systems:
    crm: CrmClient
    erp: ErpClient
    engine_url: str
    setup: list[str]  # `couplet setup`'s connection options for these services

    def engine(self) -> Integration:
        return common.integration_factory(EngineSettings(database_url=self.engine_url))


@pytest.fixture
def erp_root() -> str:
    """The ERP URL the engine is set up with; a test parametrizes it with `ERP_ONLINE` to run
    against Business Central online's root shape."""
    return ERP


@pytest.fixture
def systems(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch, erp_root: str
) -> Iterator[Systems]:
    """The CRM, the ERP and the engine, each on its own fresh database of the test's backend."""
    crm_url, erp_url, engine_url = databases(["crm", "erp", "engine"])
    crm_app = create_crm(
        CrmSettings(
            database_url=crm_url,
            admin_client_id="crm-app",
            admin_client_secret="crm-pw",
        ),
        # The CRM asks the ERP for item availability (nav_GetItemAvailability).
        http_clients=lambda base_url: clients(base_url),
    )
    erp_app = create_erp(
        ErpSettings(
            database_url=erp_url,
            admin_client_id="erp-app",
            admin_client_secret="erp-pw",
            webhook_delay_seconds=0.1,
        )
    )

    def clients(base_url: str) -> httpx.Client:
        # A base under a service's address (BC online's /v2.0/<tenant>/<environment>), and
        # the same app over https: what an authority (the identity endpoints) is reached at.
        plain = base_url.replace("https://", "http://")
        app = next(
            (a for url, a in ((CRM, crm_app), (ERP, erp_app)) if plain.startswith(url)), None
        )
        assert app is not None, base_url
        client = TestClient(app, base_url=base_url)
        # The running service's event loop: without one, each request of a TestClient
        # starts an event loop thread of its own (1.4 ms a request, thousands a test).
        client.portal = portals.get(id(app))
        made.append(client)
        return client

    portals: dict[int, Any] = {}
    made: list[TestClient] = []

    monkeypatch.setattr(
        common,
        "integration_factory",
        lambda settings: open_integration(settings, client_factory=clients),
    )
    with (
        TestClient(crm_app, base_url=CRM) as crm_http,
        TestClient(erp_app, base_url=ERP) as erp_http,
    ):
        portals.update({id(crm_app): crm_http.portal, id(erp_app): erp_http.portal})
        # The tests edit data as people do, with users of their own: the engine's user is
        # the integration user, whose writes echo suppression leaves out.
        with crm_app.state.service.system_tx() as tx:
            ensure_application_user(tx, *PERSON, "a person", [SYSTEM_ADMINISTRATOR])
        with erp_app.state.service.system_tx() as tx:
            ensure_api_user(tx, *PERSON)
        crm = CrmClient(crm_http, token_for(crm_http, *PERSON))
        erp = ErpClient(erp_http, token_for(erp_http, *PERSON))
        setup = [erp_root if arg == ERP else arg for arg in SETUP]
        try:
            yield Systems(crm, erp, engine_url, setup)
        finally:
            # A response a test left unread holds a task on the shared event loop, and the
            # service's shutdown would wait for it: closing the client cancels it.
            for client in made:
                client.close()
    crm_app.state.engine.dispose()
    erp_app.state.engine.dispose()
