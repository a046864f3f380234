"""`couplet availability`: the ERP's stock on the CRM's products (docs/behaviour.md §8)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..engine import shapes
from .common import EXIT_FAILED_RECORDS, console, integration_session, print_json

availability_app = typer.Typer(
    help="Item availability: inventory on CRM products, on-demand questions from the CRM.",
    no_args_is_help=True,
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@availability_app.command("update")
def update(
    erp_id: Annotated[
        list[str] | None, typer.Option("--erp-id", help="Only these items (repeatable)")
    ] = None,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Push the inventory of items with ledger activity since the last run (what the
    "ITEM AVAILABILITY" job does), or of the given items, to their coupled CRM products."""
    with integration_session(database_url) as integration:
        job = integration.update_availability(erp_id)
    if json_output:
        print_json(shapes.job(job) if job else None)
    elif job is None:
        console.print("No coupled item has new item ledger activity.")
    else:
        console.print(
            f"{job.modified} product(s) updated, {job.unchanged} unchanged, {job.failed} failed."
        )
    if job is not None and job.failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)


@availability_app.command("publish")
def publish(
    client_id: Annotated[str, typer.Option(help="A read-only ERP API client id")],
    client_secret: Annotated[str, typer.Option(help="Its secret")],
    database_url: DbUrl = None,
) -> None:
    """Store the ERP's availability endpoint and this read-only credential in the CRM's
    BC Connection entity, so users with the Product Availability User role can ask the ERP
    for an item's availability (`nav_GetItemAvailability`)."""
    with integration_session(database_url) as integration:
        row_id = integration.publish_availability(client_id, client_secret)
    console.print(f"BC Connection {row_id} updated in the CRM.")
