"""`couplet seed crm`: fill a reference service's database with sample data."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..apps.crm.seed import open_crm_tx, seed_crm
from ..settings import CrmSettings
from .serve import DbUrl, overrides

seed_app = typer.Typer(
    help="Fill a service's database with realistic sample data.", no_args_is_help=True
)


def _count(help_text: str) -> object:
    return typer.Option(min=0, help=help_text)


@seed_app.command("crm")
def seed_crm_command(
    accounts: Annotated[int, _count("Accounts (mostly customers, some prospects).")] = 100,
    contacts_per_account: Annotated[int, _count("Contacts per account.")] = 2,
    products: Annotated[int, _count("Products (items and some services).")] = 40,
    quotes: Annotated[int, _count("Draft quotes with lines.")] = 25,
    orders: Annotated[int, _count("Active sales orders with lines.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    database_url: DbUrl = None,
) -> None:
    """Seed the reference CRM's database (settings: COUPLET_CRM_*); it must hold no accounts."""
    settings = CrmSettings(**overrides(database_url=database_url))
    started = time.perf_counter()
    try:
        with open_crm_tx(settings) as tx:
            counts = seed_crm(
                tx,
                accounts=accounts,
                contacts_per_account=contacts_per_account,
                products=products,
                quotes=quotes,
                orders=orders,
                seed=seed,
            )
    except ValueError as err:  # already seeded, or more products than the word lists make
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(2) from None
    table = Table(
        title=f"CRM seeded in {time.perf_counter() - started:.1f} s", caption=settings.database_url
    )
    table.add_column("Entity set")
    table.add_column("Rows", justify="right")
    for entity_set, n in counts.items():
        table.add_row(entity_set, str(n))
    Console().print(table)
