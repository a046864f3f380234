"""`couplet demo`: both reference services, sample data, the engine, a full synchronization
with progress, then the engine's web app and scheduled incremental sync until Ctrl-C.

Everything lives in fresh SQLite databases under `.couplet/demo/`, with fixed, printed
credentials (the demo is local and throwaway; stable credentials are easier to paste).
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..apps.crm.app import create_app as create_crm
from ..apps.crm.seed import open_crm_tx, seed_crm
from ..apps.erp.app import create_app as create_erp
from ..engine import full_sync
from ..engine.connection import Connection
from ..engine.model import FullSyncLine
from ..operations.integration import Integration
from ..settings import CrmSettings, EngineSettings, ErpSettings
from ..web.app import create_app as create_web
from ..wiring import open_integration
from . import servers
from .common import EXIT_CONFIG

DEMO_DIR = Path(".couplet") / "demo"
CRM_CLIENT = ("couplet-crm-admin", "couplet-demo-secret")
ERP_CLIENT = ("couplet-erp-admin", "couplet-demo-secret")
ADMIN = ("admin", "couplet-demo")  # the engine web app's sign-in
SCHEDULE_SECONDS = 30  # incremental sync in the demo runs every half minute

COMPANIES = [
    "Alpine Ski House",
    "Bellows College",
    "Best For You Organics",
    "Contoso Pharmaceuticals",
    "Fabrikam Residences",
    "First Up Consultants",
    "Humongous Insurance",
    "Lamna Healthcare",
    "Liberty Delightful",
    "Lucerne Publishing",
    "Margie's Travel",
    "Northwind Traders",
    "Proseware",
    "Relecloud",
    "Southridge Video",
    "Tailspin Toys",
    "The Phone Company",
    "VanArsdel",
    "Wide World Importers",
    "Woodgrove Bank",
]
ITEMS = [
    ("Touring Bike", 1200),
    ("Mountain Bike", 950),
    ("City Bike", 640),
    ("Bike Helmet", 65),
    ("Water Bottle", 9),
    ("Saddle Bag", 38),
    ("LED Lamp Set", 29),
    ("Repair Kit", 19),
]


def demo(
    accounts: Annotated[int, typer.Option(min=1, help="Sample CRM accounts.")] = 40,
    customers: Annotated[int, typer.Option(min=1, help="Sample ERP-only customers.")] = 15,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    crm_port: int = 8101,
    erp_port: int = 8102,
    engine_port: int = 8100,
    stop_after_sync: Annotated[
        bool,
        typer.Option("--stop-after-sync", help="Stop after the full synchronization (for scripts)"),
    ] = False,
) -> None:
    """Run the whole thing: CRM, ERP, sample data, full sync, web app and scheduler."""
    console = Console()
    busy = [p for p in (crm_port, erp_port, engine_port) if not servers.port_free(host, p)]
    if busy:
        console.print(
            f"[red]Port(s) {', '.join(map(str, busy))} on {host} in use[/red]; stop "
            "what runs there or pass --crm-port/--erp-port/--engine-port."
        )
        raise typer.Exit(EXIT_CONFIG)
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir(parents=True)
    crm_settings = CrmSettings(
        database_url=f"sqlite:///{DEMO_DIR}/crm.db",
        host=host,
        port=crm_port,
        admin_client_id=CRM_CLIENT[0],
        admin_client_secret=CRM_CLIENT[1],
    )
    erp_settings = ErpSettings(
        database_url=f"sqlite:///{DEMO_DIR}/erp.db",
        host=host,
        port=erp_port,
        admin_client_id=ERP_CLIENT[0],
        admin_client_secret=ERP_CLIENT[1],
        webhook_delay_seconds=5,
    )
    with console.status("Seeding the CRM…"), open_crm_tx(crm_settings) as tx:
        counts = seed_crm(tx, accounts=accounts)
    console.print(
        f"CRM: {counts['accounts']} accounts, {counts['contacts']} contacts, "
        f"{counts['products']} products, {counts['quotes']} quotes."
    )
    running = [
        servers.start("CRM", create_crm(crm_settings), host, crm_port),
        servers.start("ERP", create_erp(erp_settings), host, erp_port),
    ]
    integration = open_integration(
        EngineSettings(
            database_url=f"sqlite:///{DEMO_DIR}/engine.db",
            admin_user=ADMIN[0],
            admin_password=ADMIN[1],
        )
    )
    _, token = integration.create_token("demo")
    stop = threading.Event()
    try:
        _connect(integration, running[0].url, running[1].url)
        _seed_erp(integration, console, customers)
        _full_sync(integration, console)
        console.print(
            f"Engine web app sign-in: {ADMIN[0]} / {ADMIN[1]}; API token: {token}",
            highlight=False,
            soft_wrap=True,
        )
        if stop_after_sync:
            return
        _short_schedule(integration)
        web = servers.start("engine", create_web(integration), host, engine_port)
        running.append(web)
        worker = threading.Thread(
            target=integration.worker().run_forever,
            args=(stop, 1.0, integration.wake_changed),
            name="worker",
            daemon=True,
        )
        worker.start()
        _print_access(console, running, token)
        stop.wait()
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        stop.set()
        for server in reversed(running):
            server.stop()
        integration.close()


def _connect(integration: Integration, crm_url: str, erp_url: str) -> None:
    connection = Connection(
        crm_url=crm_url,
        crm_client_id=CRM_CLIENT[0],
        crm_client_secret=CRM_CLIENT[1],
        erp_url=erp_url,
        erp_client_id=ERP_CLIENT[0],
        erp_client_secret=ERP_CLIENT[1],
        enabled=True,
    ).validate()
    integration.config.save_connection(connection, integration.clock())
    integration.reset_mappings()


def _seed_erp(integration: Integration, console: Console, customers: int) -> None:
    """Some customers the CRM also has (match-based coupling pairs them), some only here,
    and the item catalogue - written through the engine's own ERP connector."""
    rng = random.Random(7)
    ctx = integration.context()
    shared = []
    for page in ctx.crm.query("accounts"):
        shared += [str(r.values["name"]) for r in page if r.values.get("customertypecode") == 3]
    rows = [{"displayName": name, "city": "Seattle"} for name in shared[:10]]
    rows += [
        {
            "displayName": name,
            "city": rng.choice(["Atlanta", "Denver", "Oslo", "Lyon"]),
            "phoneNumber": f"+1 425 555 {rng.randint(100, 999):04d}",
        }
        for name in COMPANIES[:customers]
    ]
    results = ctx.erp.insert_many("customers", rows)
    results += ctx.erp.insert_many("items", [{"displayName": n, "unitPrice": p} for n, p in ITEMS])
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise typer.BadParameter(f"seeding the ERP failed: {failed[0]}")
    console.print(
        f"ERP: {len(rows)} customers ({min(len(shared), 10)} also in the CRM), {len(ITEMS)} items."
    )


def _full_sync(integration: Integration, console: Console) -> None:
    ctx = integration.context()
    lines = full_sync.review(ctx)
    todo = [x for x in lines if x.recommendation.value != "no-records-found"]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("Full synchronization", total=len(todo))

        def on_line(line: FullSyncLine) -> None:
            progress.update(
                task, description=f"Full synchronization: {line.name} ({line.recommendation.value})"
            )
            progress.advance(task)

        lines = full_sync.start(ctx, on_line)
        progress.update(task, description="Full synchronization done")
    jobs = integration.state.jobs(limit=500)
    inserted = sum(j.inserted for j in jobs)
    coupled = sum(j.coupled for j in jobs)
    failed = sum(j.failed for j in jobs)
    console.print(f"Full sync: {inserted} records created, {coupled} coupled, {failed} failed.")
    if failed:
        # The sample CRM has prospects with contacts: a contact whose account is not a
        # customer has no company in the ERP, and fails as it would in Business Central.
        console.print(
            "  Failed records are listed by `couplet errors` and on the web app's Errors page."
        )


def _short_schedule(integration: Integration) -> None:
    for entry in integration.queue.entries():
        integration.queue.upsert(
            dataclasses.replace(
                entry, interval_seconds=SCHEDULE_SECONDS, inactivity_timeout_minutes=1
            )
        )


def _print_access(console: Console, running: list[servers.Running], token: str) -> None:
    crm, erp, web = running
    console.print("\n[bold]couplet demo is running[/bold] (Ctrl-C stops it)")
    console.print(
        f"  Engine web app:   {web.url}/  (REST API {web.url}/api/v1/, docs {web.url}/docs)"
    )
    console.print(f"    sign in as {ADMIN[0]} / {ADMIN[1]}", highlight=False, soft_wrap=True)
    console.print(
        f"    API token: {token}  (Authorization: Bearer <token>)", highlight=False, soft_wrap=True
    )
    console.print(
        f"  CRM (Dataverse):  {crm.url}/api/data/v9.2/  client {CRM_CLIENT[0]} / {CRM_CLIENT[1]}"
    )
    console.print(
        f"  ERP (BC API):     {erp.url}/api/v2.0/  client {ERP_CLIENT[0]} / {ERP_CLIENT[1]}"
    )
    console.print(
        f"  Scheduled sync runs every {SCHEDULE_SECONDS} s (a job with nothing to do rests "
        "a minute). Try, in another shell:"
    )
    console.print(
        f"    .venv/bin/couplet jobs --database-url sqlite:///{DEMO_DIR}/engine.db",
        highlight=False,
        markup=False,
    )
