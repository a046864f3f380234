"""`couplet couple`, `create-in-crm`, `create-in-erp`, `uncouple`, `match`."""

from __future__ import annotations

from typing import Annotated

import typer

from ..engine.model import Direction, Side
from .common import console, integration_session
from .sync import exit_for_failures, show_jobs

DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


def couple(
    mapping: str,
    erp_id: Annotated[str, typer.Option()],
    crm_id: Annotated[str, typer.Option()],
    sync: Annotated[Direction | None, typer.Option(help="Synchronize right after")] = None,
    database_url: DbUrl = None,
) -> None:
    """Couple one ERP record with one CRM record."""
    with integration_session(database_url) as integration:
        coupling, jobs = integration.couple(mapping, erp_id, crm_id, sync=sync)
        console.print(f"Coupled {erp_id} with {crm_id} ({coupling.id}).")
        if jobs:
            show_jobs(jobs, False)
            exit_for_failures(jobs)


def create_in_crm(
    mapping: str, erp_id: Annotated[list[str], typer.Option()], database_url: DbUrl = None
) -> None:
    """Create CRM rows for ERP records and couple them."""
    _create(mapping, Side.CRM, erp_id, database_url)


def create_in_erp(
    mapping: str, crm_id: Annotated[list[str], typer.Option()], database_url: DbUrl = None
) -> None:
    """Create ERP records for CRM rows and couple them."""
    _create(mapping, Side.ERP, crm_id, database_url)


def _create(mapping: str, side: Side, ids: list[str], database_url: str | None) -> None:
    with integration_session(database_url) as integration:
        jobs, already = integration.create_in(mapping, side, ids)
        for record in already:
            console.print(f"{record} is already coupled.")
        show_jobs(jobs, False)
        exit_for_failures(jobs)


def uncouple(
    mapping: str,
    erp_id: Annotated[list[str] | None, typer.Option()] = None,
    crm_id: Annotated[list[str] | None, typer.Option()] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every coupling of the mapping")] = False,
    database_url: DbUrl = None,
) -> None:
    """Remove couplings (records stay on both sides)."""
    if not (erp_id or crm_id or all_):
        raise typer.BadParameter("give --erp-id, --crm-id or --all")
    with integration_session(database_url) as integration:
        job = integration.uncouple(
            mapping, erp_ids=erp_id or (), crm_ids=crm_id or (), everything=all_
        )
        console.print(f"{job.uncoupled} coupling(s) removed.")


def match(
    mapping: str,
    field: Annotated[list[str] | None, typer.Option(help="ERP field to match on")] = None,
    create_new: Annotated[
        bool, typer.Option("--create-new", help="Create the unmatched in the CRM")
    ] = False,
    database_url: DbUrl = None,
) -> None:
    """Match-based coupling: couple uncoupled ERP records to CRM rows with equal values."""
    with integration_session(database_url) as integration:
        result = integration.match(mapping, fields=field, create_new=create_new or None)
        console.print(f"Coupled {len(result.coupled)}; unmatched {len(result.unmatched)}.")
        show_jobs([result.job, *result.jobs], False)
        exit_for_failures([result.job, *result.jobs])
