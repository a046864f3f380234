"""The ERP service factory: `create_app(settings)` builds the Business-Central-compatible app.

One app serves two API groups under `/api`: the standard `v2.0` API and the custom
`couplet/integration/v1.0` group, plus `POST /oauth2/token`; the same again under
Business Central online's `/v2.0/{tenant}/{environment}`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI

from ...settings import ErpSettings
from .._common.auth import TokenIssuer, signing_key
from .._common.database import Transactions, create_schema, ensure_sqlite_dir, make_engine
from .._common.identity import IdentityProvider, mount_identity, register_certificate
from .._common.model import Model
from .._common.records import SYSTEM, Tx
from .._common.service import ODataService
from .._common.throttle import Throttle, ThrottlePolicy
from .company_setup import create_company
from .dialect import BusinessCentralDialect
from .router import ErpRouter
from .rules import ErpRules
from .schema import CONVENTIONS
from .security import ensure_api_user, resolver
from .subscriptions import Subscriptions
from .tables import BY_NAME, TABLES
from .webhooks import add_outbox

API_ROOT = "/api"
# Business Central online's service root: the API lives under the tenant and environment
# (docs/protocols.md §B13); on premises it is the root itself.
ONLINE_ROOT = "/v2.0/{tenant}/{environment}"
# Business Central online's resource: its scope is the same for every tenant.
BUSINESS_CENTRAL_RESOURCE = "https://api.businesscentral.dynamics.com"


@functools.cache  # the same tables for every app of the process; built once (a tenth of a second)
def build_model() -> Model:
    model = Model((t.entity for t in TABLES), CONVENTIONS)
    add_outbox(model)
    return model


def bootstrap(tx: Tx, settings: ErpSettings) -> None:
    """Makes a fresh database usable: one company with its setup, and the admin client."""
    if tx.first("company") is None:
        create_company(tx, settings.company_name, settings.lcy_code, settings.tax_percent)
    if settings.admin_client_id and settings.admin_client_secret:
        ensure_api_user(tx, settings.admin_client_id, settings.admin_client_secret)


def create_app(
    settings: ErpSettings | None = None, clock: Callable[[], dt.datetime] | None = None
) -> FastAPI:
    settings = settings or ErpSettings()
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    model = build_model()
    dialect = BusinessCentralDialect(model)
    ensure_sqlite_dir(settings.database_url)
    engine = make_engine(settings.database_url)
    create_schema(engine, model)
    transactions = Transactions(engine)
    subscriptions = Subscriptions(settings, transactions, model, dialect, now)
    rules = ErpRules(dict(BY_NAME), outbox_written=subscriptions.changed)
    with transactions.begin() as conn:
        key = signing_key(conn, model, settings.token_key)
        bootstrap(Tx(conn, model, SYSTEM, rules, now), settings)
        if settings.admin_client_id and settings.admin_client_certificate:
            pem = Path(settings.admin_client_certificate).read_text()
            register_certificate(conn, model, settings.admin_client_id, pem)
        conn.execute(sa.text("SELECT 1"))
    issuer = TokenIssuer(key, "couplet-erp", settings.token_lifetime_seconds, now)
    service = ODataService(
        model=model,
        dialect=dialect,
        rules=rules,
        transactions=transactions,
        router=ErpRouter(dialect, subscriptions.handle),
        resolve_principal=resolver(model),
        issuer=issuer,
        throttle=Throttle(
            ThrottlePolicy(
                settings.throttle_requests,
                settings.throttle_window_seconds,
                settings.throttle_concurrent,
            )
        ),
        api_root=API_ROOT,
        clock=now,
        root_prefixes=(ONLINE_ROOT,),
    )
    app = FastAPI(
        title="couplet reference ERP (Business Central API v2.0 subset)",
        version="2.0",
        lifespan=subscriptions.lifespan,
    )
    service.mount(app)
    mount_identity(
        app,
        IdentityProvider(
            model,
            transactions,
            issuer,
            lambda base: [BUSINESS_CENTRAL_RESOURCE, base],
            settings.tenant,
        ),
    )
    app.state.service = service
    app.state.engine = engine
    app.state.settings = settings
    app.state.subscriptions = subscriptions
    return app
