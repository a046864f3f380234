"""`couplet serve crm|erp`: run a reference service over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

import typer
import uvicorn

from ..apps.crm.app import create_app as create_crm
from ..apps.erp.app import create_app as create_erp
from ..settings import CrmSettings, ErpSettings

serve_app = typer.Typer(help="Run a service over HTTP.", no_args_is_help=True)

Host = Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")]
Port = Annotated[int | None, typer.Option(help="TCP port.")]
DbUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL: sqlite:///path or postgresql://…")]


def overrides(**values: Any) -> dict[str, Any]:
    """Only the options given on the command line; the rest comes from the environment."""
    return {k: v for k, v in values.items() if v is not None}


@serve_app.command("crm")
def serve_crm(host: Host = None, port: Port = None, database_url: DbUrl = None) -> None:
    """The reference CRM: a Dataverse Web API at /api/data/v9.2/ (settings: COUPLET_CRM_*)."""
    settings = CrmSettings(**overrides(host=host, port=port, database_url=database_url))
    app = create_crm(settings)
    typer.echo(
        f"couplet CRM on http://{settings.host}:{settings.port}/api/data/v9.2/ "
        f"(database {settings.database_url})"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


@serve_app.command("erp")
def serve_erp(host: Host = None, port: Port = None, database_url: DbUrl = None) -> None:
    """The reference ERP: a Business Central API at /api/v2.0/ (settings: COUPLET_ERP_*)."""
    settings = ErpSettings(**overrides(host=host, port=port, database_url=database_url))
    app = create_erp(settings)
    typer.echo(
        f"couplet ERP on http://{settings.host}:{settings.port}/api/v2.0/ "
        f"(database {settings.database_url})"
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
