"""`couplet invoices`: posted ERP sales invoices and their CRM invoices (§7.1)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_FAILED_RECORDS, console, integration_session, print_json, print_table

invoices_app = typer.Typer(
    help="Posted sales invoices of the ERP, created as CRM invoices.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@invoices_app.command("list")
def list_invoices(json_output: Json = False, database_url: DbUrl = None) -> None:
    """Posted ERP invoices and the CRM invoice each is coupled to (if any)."""
    with integration_session(database_url) as integration:
        rows = integration.posted_invoices()
    if json_output:
        print_json(rows)
        return
    print_table(
        "Posted sales invoices",
        ["Number", "Customer", "Total", "Status", "CRM invoice"],
        [
            [r["number"], r["customer_number"], r["total"], r["status"], r["crm_id"] or "-"]
            for r in rows
        ],
    )


@invoices_app.command("create-in-crm")
def create(
    numbers: Annotated[list[str], typer.Argument(help="Posted ERP invoice numbers")],
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Create CRM invoices for these posted invoices ("Create Invoice in Dynamics 365 Sales")."""
    with integration_session(database_url) as integration:
        _, results = integration.create_invoices_in_crm(numbers)
    if json_output:
        print_json([{**r.__dict__, "failed": r.failed} for r in results])
    else:
        for r in results:
            console.print(f"{r.number}: {r.message}")
    if any(r.failed for r in results):
        raise typer.Exit(EXIT_FAILED_RECORDS)
