"""`couplet serve crm|erp|engine`: run a reference service, or the engine's web app, over HTTP
or HTTPS (`--tls`, or `--tls-cert` and `--tls-key`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from ..apps.crm.app import create_app as create_crm
from ..apps.erp.app import create_app as create_erp
from ..engine.errors import ConfigError
from ..operations.integration import Integration
from ..settings import CrmSettings, EngineSettings, ErpSettings
from ..wiring import open_integration
from .common import EXIT_CONFIG
from .tls import Tls, cert_file, choose, key_file

serve_app = typer.Typer(help="Run a service over HTTP.", no_args_is_help=True)

Host = Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")]
Port = Annotated[int | None, typer.Option(help="TCP port.")]
DbUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL: sqlite:///path or postgresql://…")]
TlsFlag = Annotated[
    bool,
    typer.Option("--tls", help="HTTPS with a certificate for 127.0.0.1/localhost from a local CA"),
]
TlsCert = Annotated[Path | None, typer.Option(help="HTTPS: the server certificate (PEM)")]
TlsKey = Annotated[Path | None, typer.Option(help="HTTPS: the certificate's private key (PEM)")]


def https(tls: bool, tls_cert: Path | None, tls_key: Path | None) -> Tls | None:
    """The TLS files the options name, saying where a generated CA is (None: plain HTTP)."""
    try:
        chosen = choose(tls, tls_cert, tls_key)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    if chosen and chosen.ca_file:
        typer.echo(
            f"TLS certificate {chosen.cert_file} (key {chosen.key_file}), signed by the local "
            f"CA {chosen.ca_file}: set COUPLET_ENGINE_CA_BUNDLE={chosen.ca_file} for the engine"
        )
    return chosen


GRACEFUL_SHUTDOWN_SECONDS = 5


def scheme(tls: Tls | None) -> str:
    return "https" if tls else "http"


def run(app: Any, host: str, port: int, secure: Tls | None, *, factory: bool = False) -> None:
    """Serves `app` (an ASGI app, or with `factory` the import path of one) until stopped."""
    uvicorn.run(
        app,
        factory=factory,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=cert_file(secure),
        ssl_keyfile=key_file(secure),
        # On a stop signal, requests under way get this long to finish; an idle keep-alive
        # connection (a TLS one waits up to half a minute for the peer's goodbye) does not
        # hold the shutdown.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def overrides(**values: Any) -> dict[str, Any]:
    """Only the options given on the command line; the rest comes from the environment."""
    return {k: v for k, v in values.items() if v is not None}


@serve_app.command("crm")
def serve_crm(
    host: Host = None,
    port: Port = None,
    database_url: DbUrl = None,
    tls: TlsFlag = False,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """The reference CRM: a Dataverse Web API at /api/data/v9.2/ (settings: COUPLET_CRM_*)."""
    settings = CrmSettings(**overrides(host=host, port=port, database_url=database_url))
    secure = https(tls, tls_cert, tls_key)
    app = create_crm(settings)
    typer.echo(
        f"couplet CRM on {scheme(secure)}://{settings.host}:{settings.port}/api/data/v9.2/ "
        f"(database {settings.database_url})"
    )
    run(app, settings.host, settings.port, secure)


@serve_app.command("erp")
def serve_erp(
    host: Host = None,
    port: Port = None,
    database_url: DbUrl = None,
    tls: TlsFlag = False,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """The reference ERP: a Business Central API at /api/v2.0/ (settings: COUPLET_ERP_*)."""
    settings = ErpSettings(**overrides(host=host, port=port, database_url=database_url))
    secure = https(tls, tls_cert, tls_key)
    app = create_erp(settings)
    typer.echo(
        f"couplet ERP on {scheme(secure)}://{settings.host}:{settings.port}/api/v2.0/ "
        f"(database {settings.database_url})"
    )
    run(app, settings.host, settings.port, secure)


def announce_admin(integration: Integration) -> None:
    """Creates the admin on first start and prints its password (only then)."""
    password = integration.ensure_admin()
    if password:
        typer.echo(
            f"Web app sign-in created: user {integration.admin_user}, password {password} "
            "(shown once; COUPLET_ENGINE_ADMIN_PASSWORD sets another)"
        )


# The web app is named by import path (see create_app_from_environment): cli and web are
# sibling interfaces and do not import each other.
ENGINE_APP = "couplet.web.app:create_app_from_environment"


@serve_app.command("engine")
def serve_engine(
    host: Host = None,
    port: Port = None,
    database_url: DbUrl = None,
    tls: TlsFlag = False,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """The engine's REST API (/api/v1/) and admin pages (settings: COUPLET_ENGINE_*)."""
    settings = EngineSettings(**overrides(host=host, port=port, database_url=database_url))
    secure = https(tls, tls_cert, tls_key)
    # The app factory reads its settings from the environment when uvicorn calls it.
    os.environ["COUPLET_ENGINE_DATABASE_URL"] = settings.database_url
    integration = open_integration(settings)
    try:
        announce_admin(integration)
    finally:
        integration.close()
    typer.echo(
        f"couplet engine on {scheme(secure)}://{settings.host}:{settings.port}/ "
        f"(API /api/v1/, docs /docs; database {settings.database_url})"
    )
    run(ENGINE_APP, settings.host, settings.port, secure, factory=True)
