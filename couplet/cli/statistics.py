"""`couplet statistics update`: account statistics and invoice payment status in the CRM
now (Business Central's "Update Account Statistics", §7.2)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_FAILED_RECORDS, console, integration_session, print_json, print_table

statistics_app = typer.Typer(
    help="Customer statistics and invoice payment status in the CRM.", no_args_is_help=True
)


@statistics_app.command("update")
def update(
    customer_numbers: Annotated[
        list[str] | None, typer.Argument(help="ERP customer numbers (all coupled ones if none)")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    database_url: Annotated[str | None, typer.Option(help="Engine database URL")] = None,
) -> None:
    """Update the account statistics of these customers and the status of their invoices."""
    with integration_session(database_url) as integration:
        run = integration.update_statistics(customer_numbers)
    if json_output:
        print_json(
            {
                "customers": [c.__dict__ for c in run.customers],
                "invoices_changed": run.invoices_changed,
                "job_id": run.job.id,
                "message": run.message,
            }
        )
    else:
        print_table(
            "Account statistics",
            ["Customer", "Account", "Result", "Message"],
            [[c.customer_number, c.account_id, c.result, c.message] for c in run.customers],
        )
        console.print(f"{run.invoices_changed} invoice(s) changed payment status.")
        console.print(run.message)
    if run.job.failed:
        raise typer.Exit(EXIT_FAILED_RECORDS)
