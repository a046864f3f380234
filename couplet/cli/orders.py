"""`couplet orders`: submitted CRM sales orders and their creation in the ERP (§5.2)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..engine import shapes
from .common import EXIT_FAILED_RECORDS, console, integration_session, print_json, print_table

orders_app = typer.Typer(
    help="Sales orders submitted in the CRM, created in the ERP.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@orders_app.command("list")
def list_orders(json_output: Json = False, database_url: DbUrl = None) -> None:
    """CRM orders submitted to the back office and not yet created in the ERP."""
    with integration_session(database_url) as integration:
        rows = integration.submitted_orders()
    if json_output:
        print_json(rows)
        return
    print_table(
        "Submitted CRM sales orders",
        ["CRM id", "Order", "Name", "Total"],
        [[r["crm_id"], r["order_number"], r["name"], r["total"]] for r in rows],
    )


def _create(ids: list[str] | None, json_output: bool, database_url: str | None) -> None:
    with integration_session(database_url) as integration:
        job, results = integration.create_orders(ids)
    if json_output:
        print_json([r.__dict__ for r in results])
    else:
        for r in results:
            console.print(f"{r.crm_id}: {r.message}")
    if job.failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)


@orders_app.command("create")
def create(
    crm_order_id: Annotated[list[str], typer.Argument(help="CRM sales order ids")],
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Create ERP sales orders for these submitted CRM orders ("Create in Business Central")."""
    _create(crm_order_id, json_output, database_url)


@orders_app.command("auto")
def auto(json_output: Json = False, database_url: DbUrl = None) -> None:
    """Create ERP orders for every submitted CRM order not yet handled (what the
    "automatically create sales orders" job does)."""
    _create(None, json_output, database_url)


@orders_app.command("status")
def status(json_output: Json = False, database_url: DbUrl = None) -> None:
    """Run the order status and notes jobs now: timeline posts for released, shipped and
    invoiced orders, fully invoiced orders set Invoiced in the CRM, notes both ways."""
    with integration_session(database_url) as integration:
        jobs = integration.update_order_status()
    if json_output:
        print_json([shapes.job(j) for j in jobs])
    else:
        posts, notes = jobs
        console.print(
            f"{posts.inserted} timeline post(s), {posts.modified} order(s) set to Invoiced, "
            f"{posts.uncoupled} coupling(s) of orders gone from the ERP removed; "
            f"{notes.inserted} note(s) copied, {notes.modified} note(s) updated"
            + (
                f"; {sum(j.failed for j in jobs)} failed (see `couplet errors`)"
                if any(j.failed for j in jobs)
                else ""
            )
            + "."
        )
    if any(j.failed for j in jobs):
        raise typer.Exit(EXIT_FAILED_RECORDS)
