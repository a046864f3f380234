"""The composition root: builds the integration's parts from settings, for the CLI and the
web - the database, the stores, the connectors, the façade (`operations.Integration`).

Nothing else constructs stores, connectors or workers; tests inject an HTTP client factory
(to reach in-process services) and a clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from .connectors.business_central.connector import BusinessCentralConnector
from .connectors.dataverse.connector import DataverseConnector
from .connectors.http import (
    ClientCredentials,
    HttpSession,
    OAuthClientCredentials,
    Retrier,
    RetryPolicy,
)
from .connectors.identity import Identity, MsalAuth
from .connectors.sign_in import CHECK_POLICY, Check, check_sign_in
from .engine.connection import Connection
from .engine.errors import ConfigError
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


def default_client(base_url: str, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """`verify`: True for the system's CAs, or a context trusting the CA bundle file
    (COUPLET_ENGINE_CA_BUNDLE)."""
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(60.0, connect=10.0), verify=verify)


def trusted(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """What the connectors and MSAL verify servers against: the system's CAs, or the
    given bundle's."""
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"COUPLET_ENGINE_CA_BUNDLE={ca_bundle} is not a CA file: {exc}") from None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Sessions:
    """HTTP sessions signed in with OAuth client credentials, all closed together: at the
    Microsoft identity platform through MSAL when the side has an authority, else at the
    service's own `{url}/oauth2/token` (docs/protocols.md, contract details)."""

    def __init__(
        self,
        client_factory: ClientFactory = default_client,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_factory = client_factory
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self._clients: list[httpx.Client] = []
        # One MSAL client (and so one token cache) per identity, shared by the sessions.
        self._identities: dict[Identity, MsalAuth] = {}

    def _client(self, base_url: str) -> httpx.Client:
        client = self.client_factory(base_url)
        self._clients.append(client)
        return client

    def _auth(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        scope: str,
        authority: str | None,
        certificate: str | None,
    ) -> httpx.Auth:
        if authority is None:
            return OAuthClientCredentials(
                ClientCredentials(f"{base_url}/oauth2/token", client_id, secret, scope)
            )
        identity = Identity(authority, client_id, scope, secret or None, certificate)
        if identity not in self._identities:
            origin = urlsplit(authority)
            http = self._client(f"{origin.scheme}://{origin.netloc}")
            retrier = self._retrier(f"the sign-in service at {authority}")
            self._identities[identity] = MsalAuth(identity, http, retrier)
        return self._identities[identity]

    def _retrier(self, service: str) -> Retrier:
        return Retrier(self.policy, service=service, sleep=self.sleep, clock=self.clock)

    def session(self, base_url: str, auth: httpx.Auth, service: str) -> HttpSession:
        client = self._client(base_url)
        client.auth = auth
        return HttpSession(client, retrier=self._retrier(service))

    def crm(self, c: Connection) -> HttpSession:
        auth = self._auth(
            c.crm_url,
            c.crm_client_id,
            c.crm_client_secret,
            c.crm_sign_in_scope(),
            c.crm_authority,
            c.crm_certificate,
        )
        return self.session(c.crm_url, auth, f"the CRM at {c.crm_url}")

    def erp(self, c: Connection) -> HttpSession:
        auth = self._auth(
            c.erp_url,
            c.erp_client_id,
            c.erp_client_secret,
            c.erp_sign_in_scope(),
            c.erp_authority,
            c.erp_certificate,
        )
        return self.session(c.erp_url, auth, f"the ERP at {c.erp_url}")

    def close(self) -> None:
        for client in self._clients:
            client.close()


def open_integration(
    settings: EngineSettings | None = None,
    *,
    client_factory: ClientFactory | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Integration:
    """`retry_policy` and `sleep`: how the HTTP sessions retry transient faults (tests
    inject a sleep that does not wait)."""
    settings = settings or EngineSettings()
    db = open_database(settings.database_url)
    key = load_key(settings.database_url, settings.secret_key)
    credentials = SqlCredentials(db)
    if settings.admin_password and not credentials.check_password(
        settings.admin_user, settings.admin_password
    ):
        credentials.set_admin(settings.admin_user, settings.admin_password)
    sessions = Sessions(
        client_factory or functools.partial(default_client, verify=trusted(settings.ca_bundle)),
        policy=retry_policy,
        sleep=sleep,
    )

    checking = Sessions(sessions.client_factory, policy=retry_policy or CHECK_POLICY, sleep=sleep)

    def connect(c: Connection) -> tuple[CrmSystem, ErpSystem]:
        return (
            DataverseConnector(sessions.crm(c), c.crm_url),
            BusinessCentralConnector(sessions.erp(c), c.erp_url, c.erp_company),
        )

    def check(c: Connection) -> list[Check]:
        return check_sign_in(c, checking.crm(c), checking.erp(c))

    def close() -> None:
        sessions.close()
        checking.close()
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
