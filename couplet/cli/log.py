"""`couplet jobs`, `errors` and `skipped`: what synchronization did and what it could not do."""

from __future__ import annotations

from typing import Annotated

import typer

from ..engine import shapes
from .common import console, integration_session, print_json, print_table
from .sync import show_jobs

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


def jobs(
    mapping: Annotated[str | None, typer.Option(help="Only this mapping")] = None,
    limit: int = 50,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """The synchronization job log, newest first."""
    with integration_session(database_url) as integration:
        show_jobs(integration.state.jobs(mapping, limit), json_output, "Job log")


def errors(
    job: Annotated[str | None, typer.Option(help="Only this job")] = None,
    limit: int = 100,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Records that failed, with both record ids and the reason."""
    with integration_session(database_url) as integration:
        rows = [shapes.error(i, e) for i, e in integration.state.errors(job, limit)]
    if json_output:
        print_json(rows)
        return
    print_table(
        "Synchronization errors",
        ["Job", "Mapping", "Source", "Destination", "Message"],
        [
            [r["job_id"][:8], r["mapping"], r["source_id"], r["destination_id"], r["message"]]
            for r in rows
        ],
    )


def skipped(
    restore: Annotated[list[str] | None, typer.Option(help="Coupling id to restore")] = None,
    restore_all: Annotated[bool, typer.Option("--restore-all")] = False,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Couplings skipped after repeated failures; restore puts them back in sync."""
    with integration_session(database_url) as integration:
        if restore or restore_all:
            n = integration.restore_skipped(None if restore_all else restore)
            console.print(f"{n} record(s) restored.")
            return
        rows = [shapes.skipped(c) for c in integration.state.skipped_couplings()]
    if json_output:
        print_json(rows)
        return
    print_table(
        "Skipped records",
        ["Coupling", "Mapping", "ERP id", "CRM id", "Last error"],
        [[r["coupling_id"], r["mapping"], r["erp_id"], r["crm_id"], r["last_error"]] for r in rows],
    )
