"""`couplet quotes`: CRM quotes waiting for the ERP and their processing (§6)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_FAILED_RECORDS, console, integration_session, print_json, print_table

quotes_app = typer.Typer(
    help="Sales quotes activated or won in the CRM, processed in the ERP.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@quotes_app.command("list")
def list_quotes(json_output: Json = False, database_url: DbUrl = None) -> None:
    """Active CRM quotes without an ERP quote and won quotes not processed yet."""
    with integration_session(database_url) as integration:
        rows = integration.waiting_quotes()
    if json_output:
        print_json(rows)
        return
    print_table(
        "CRM quotes waiting for processing",
        ["CRM id", "Quote", "Revision", "State", "Name", "Total"],
        [
            [r["crm_id"], r["quote_number"], r["revision"], r["state"], r["name"], r["total"]]
            for r in rows
        ],
    )


@quotes_app.command("process")
def process(
    crm_quote_id: Annotated[
        list[str] | None, typer.Argument(help="CRM quote ids (none: every waiting quote)")
    ] = None,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Process CRM quotes in the ERP ("Process in Business Central"): active ones become or
    update ERP quotes, won ones are linked to their orders or released."""
    with integration_session(database_url) as integration:
        job, results = integration.process_quotes(crm_quote_id)
    if json_output:
        print_json([r.__dict__ for r in results])
    else:
        for r in results:
            console.print(f"{r.quote_number or r.crm_id}: {r.message}")
        if not results:
            console.print("No quotes are waiting.")
    if job is not None and job.failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)
