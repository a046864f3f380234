"""The CRM service factory: `create_app(settings)` builds the Dataverse-compatible app."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from ...settings import CrmSettings
from .._common.auth import TokenIssuer, register_client, signing_key
from .._common.database import Transactions, create_schema, ensure_sqlite_dir, make_engine
from .._common.identity import IdentityProvider, mount_identity, register_certificate
from .._common.model import Conventions, Model
from .._common.records import SYSTEM, Tx
from .._common.service import ODataService
from .._common.throttle import Throttle, ThrottlePolicy
from .availability import HttpClientFactory, default_client
from .dataverse import DataverseDialect
from .entities import BY_NAME, TABLES
from .metadata_api import MetadataApi
from .options import OptionSets, option_table
from .router import CrmRouter
from .rules import CrmRules
from .security import ROLES, SYSTEM_ADMINISTRATOR, resolver, role_id

API_ROOT = "/api/data/v9.2"
CONVENTIONS = Conventions(
    version="versionnumber",
    created_on="createdon",
    modified_on="modifiedon",
    created_by="_createdby_value",
    modified_by="_modifiedby_value",
    # Dataverse documents only these string functions in $filter (docs/protocols.md §A4);
    # its text comparisons ignore case.
    filter_functions=frozenset({"contains", "startswith", "endswith"}),
    case_insensitive_text=True,
)


@functools.cache  # the same tables for every app of the process; built once (a tenth of a second)
def build_model() -> Model:
    model = Model((t.entity for t in TABLES), CONVENTIONS)
    option_table(model)
    return model


def bootstrap(tx: Tx, settings: CrmSettings) -> None:
    """Makes a fresh database usable: roles, organization, base currency, admin client."""
    # The server's own writes (bootstrap, seeding, background rules) are made as SYSTEM;
    # a user row for it keeps their owner and created-by references resolvable.
    if tx.get("systemuser", SYSTEM.id) is None:
        tx.insert(
            "systemuser",
            {
                "systemuserid": SYSTEM.id,
                "lastname": "SYSTEM",
                "fullname": "SYSTEM",
                "accessmode": 1,
                "islicensed": False,
            },
            internal=True,
        )
    for name, (rid, _) in ROLES.items():
        if tx.get("role", rid) is None:
            tx.insert("role", {"roleid": rid, "name": name}, internal=True)
    if tx.first("organization") is None:
        currency = tx.first("transactioncurrency", isocurrencycode=settings.base_currency_code)
        if currency is None:
            currency = tx.insert(
                "transactioncurrency",
                {
                    "currencyname": settings.base_currency_name,
                    "currencysymbol": settings.base_currency_symbol,
                    "isocurrencycode": settings.base_currency_code,
                    "exchangerate": 1,
                    "currencyprecision": 2,
                },
            )
        tx.insert(
            "organization",
            {
                "name": settings.organization_name,
                "_basecurrencyid_value": currency["transactioncurrencyid"],
            },
        )
    if settings.admin_client_id and settings.admin_client_secret:
        ensure_application_user(
            tx,
            settings.admin_client_id,
            settings.admin_client_secret,
            "couplet administrator",
            [SYSTEM_ADMINISTRATOR],
        )


def ensure_application_user(
    tx: Tx, client_id: str, secret: str, name: str, roles: list[str]
) -> str:
    """Creates (or re-keys) an application user with an OAuth client; returns its user id."""
    app_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"couplet-client:{client_id}"))
    user = tx.first("systemuser", applicationid=app_id)
    if user is None:
        user = tx.insert(
            "systemuser",
            {
                "firstname": "#",
                "lastname": name,
                "applicationid": app_id,
                "accessmode": 4,
                "islicensed": False,
            },
        )
    user_id = str(user["systemuserid"])
    for role in roles:
        if not tx.find("systemuserroles", systemuserid=user_id, roleid=role_id(role)):
            tx.insert("systemuserroles", {"systemuserid": user_id, "roleid": role_id(role)})
    register_client(tx.conn, tx.model, client_id, secret, user_id)
    return user_id


def create_app(
    settings: CrmSettings | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    http_clients: HttpClientFactory = default_client,
) -> FastAPI:
    """The CRM app; `http_clients` makes the HTTP client the CRM reaches the ERP with (for
    item availability), so tests can point it at an in-process ERP."""
    settings = settings or CrmSettings()
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    model = build_model()
    tables = dict(BY_NAME)
    options = OptionSets(model)
    dialect = DataverseDialect(model, tables, options)
    rules = CrmRules(tables, options)
    ensure_sqlite_dir(settings.database_url)
    engine = make_engine(settings.database_url)
    create_schema(engine, model)
    transactions = Transactions(engine)
    with transactions.begin() as conn:
        key = signing_key(conn, model, settings.token_key)
        options.load(conn)
        bootstrap(Tx(conn, model, SYSTEM, rules, now), settings)
        if settings.admin_client_id and settings.admin_client_certificate:
            pem = Path(settings.admin_client_certificate).read_text()
            register_certificate(conn, model, settings.admin_client_id, pem)
    issuer = TokenIssuer(key, "couplet-crm", settings.token_lifetime_seconds, now)
    service = ODataService(
        model=model,
        dialect=dialect,
        rules=rules,
        transactions=transactions,
        router=CrmRouter(dialect, MetadataApi(model, options, tables), http_clients),
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
    )
    app = FastAPI(title="couplet reference CRM (Dataverse Web API subset)", version="9.2")
    service.mount(app)
    mount_identity(
        app,
        IdentityProvider(model, transactions, issuer, lambda base: [base], settings.tenant),
    )
    app.state.service = service
    app.state.engine = engine
    app.state.settings = settings
    return app


__all__ = ["API_ROOT", "build_model", "create_app", "ensure_application_user"]
