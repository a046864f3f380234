"""`couplet seed crm|erp`: fill a reference service's database with sample data."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..apps.crm.seed import open_crm_tx, seed_crm
from ..apps.erp.seed import open_erp_tx, seed_erp
from ..settings import CrmSettings, ErpSettings
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
    _report(f"CRM seeded in {time.perf_counter() - started:.1f} s", settings.database_url, counts)


@seed_app.command("erp")
def seed_erp_command(
    customers: Annotated[int, _count("Customers (each with its company contact).")] = 100,
    contacts_per_customer: Annotated[int, _count("Person contacts per customer.")] = 1,
    salespeople: Annotated[int, _count("Salespeople.")] = 5,
    items: Annotated[int, _count("Inventory items, with stock.")] = 40,
    resources: Annotated[int, _count("Resources (services billed per hour).")] = 6,
    quotes: Annotated[int, _count("Sales quotes with lines (some released).")] = 10,
    orders: Annotated[int, _count("Open sales orders with lines (some released).")] = 20,
    invoices: Annotated[int, _count("Orders shipped and invoiced (two get paid).")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    database_url: DbUrl = None,
) -> None:
    """Seed the reference ERP's company (settings: COUPLET_ERP_*); it must hold no customers."""
    settings = ErpSettings(**overrides(database_url=database_url))
    started = time.perf_counter()
    try:
        with open_erp_tx(settings) as tx:
            counts = seed_erp(
                tx,
                customers=customers,
                contacts_per_customer=contacts_per_customer,
                salespeople=salespeople,
                items=items,
                resources=resources,
                quotes=quotes,
                orders=orders,
                invoices=invoices,
                seed=seed,
            )
    except ValueError as err:  # already seeded, or counts the sample data cannot make
        typer.echo(f"Error: {err}", err=True)
        raise typer.Exit(2) from None
    _report(f"ERP seeded in {time.perf_counter() - started:.1f} s", settings.database_url, counts)


def _report(title: str, database_url: str, counts: dict[str, int]) -> None:
    table = Table(title=title, caption=database_url)
    table.add_column("Entity set")
    table.add_column("Rows", justify="right")
    for entity_set, n in counts.items():
        table.add_row(entity_set, str(n))
    Console().print(table)
