"""The composition root: builds the integration's parts from settings, for the CLI and the
web - the database, the stores, the connectors, the façade (`operations.Integration`).

Nothing else constructs stores, connectors or workers; tests inject an HTTP client factory
(to reach in-process services) and a clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable

from .connectors.business_central.connector import BusinessCentralConnector
from .connectors.dataverse.connector import DataverseConnector
from .connectors.http import (
    RetryPolicy,
)
from .connectors.sessions import ClientFactory, Sessions, default_client, trusted
from .connectors.sign_in import CHECK_POLICY, Check, check_sign_in
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


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
