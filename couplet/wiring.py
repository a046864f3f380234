"""The composition root: builds the integration's parts from settings, for the CLI and the
web - the database, the stores, the connectors, the façade (`operations.Integration`).

Nothing else constructs stores, connectors or workers; tests inject an HTTP client factory
(to reach in-process services) and a clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import httpx

from .connectors.business_central.connector import BusinessCentralConnector
from .connectors.dataverse.connector import DataverseConnector
from .connectors.http import ClientCredentials, HttpSession, OAuthClientCredentials
from .connectors.sign_in import Check, check_sign_in
from .engine.connection import Connection
from .operations.integration import Integration
from .operations.parts import Parts
from .operations.ports import CrmSystem, ErpSystem
from .operations.systems import Systems
from .settings import EngineSettings
from .store.config import SqlConfig
from .store.credentials import SqlCredentials
from .store.db import open_database
from .store.job_queue import SqlJobQueue
from .store.leases import SqlLeases
from .store.secrets import SecretBox, load_key
from .store.sql_state import SqlState

ClientFactory = Callable[[str], httpx.Client]


def default_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(60.0, connect=10.0))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Sessions:
    """HTTP sessions signed in with OAuth client credentials, all closed together."""

    def __init__(self, client_factory: ClientFactory = default_client) -> None:
        self.client_factory = client_factory
        self._clients: list[httpx.Client] = []

    def session(self, base_url: str, client_id: str, secret: str) -> HttpSession:
        client = self.client_factory(base_url)
        client.auth = OAuthClientCredentials(
            ClientCredentials(f"{base_url}/oauth2/token", client_id, secret, f"{base_url}/.default")
        )
        self._clients.append(client)
        return HttpSession(client)

    def crm(self, c: Connection) -> HttpSession:
        return self.session(c.crm_url, c.crm_client_id, c.crm_client_secret)

    def erp(self, c: Connection) -> HttpSession:
        return self.session(c.erp_url, c.erp_client_id, c.erp_client_secret)

    def close(self) -> None:
        for client in self._clients:
            client.close()


def open_integration(
    settings: EngineSettings | None = None,
    *,
    client_factory: ClientFactory = default_client,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Integration:
    settings = settings or EngineSettings()
    db = open_database(settings.database_url)
    key = load_key(settings.database_url, settings.secret_key)
    credentials = SqlCredentials(db)
    if settings.admin_password and not credentials.check_password(
        settings.admin_user, settings.admin_password
    ):
        credentials.set_admin(settings.admin_user, settings.admin_password)
    sessions = Sessions(client_factory)

    def connect(c: Connection) -> tuple[CrmSystem, ErpSystem]:
        return (
            DataverseConnector(sessions.crm(c), c.crm_url),
            BusinessCentralConnector(sessions.erp(c), c.erp_url, c.erp_company),
        )

    def check(c: Connection) -> list[Check]:
        return check_sign_in(c, sessions.crm(c), sessions.erp(c))

    def close() -> None:
        sessions.close()
        db.dispose()

    parts = Parts(
        config=SqlConfig(db, SecretBox(key)),
        state=SqlState(db),
        queue=SqlJobQueue(db),
        credentials=credentials,
        systems=Systems(connect),
        check_sign_in=check,
        clock=clock,
        leases=SqlLeases(db),
        admin_user=settings.admin_user,
    )
    return Integration(
        parts,
        database_url=settings.database_url,
        distributed=db.dialect.name == "postgresql",
        session_key=hashlib.sha256(b"couplet-session:" + key).hexdigest(),
        close=close,
    )
