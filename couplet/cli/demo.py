"""`couplet demo`: a fresh, seeded reference CRM on this machine, ready to click and curl.

Until the ERP and the engine join it, the demo is the CRM alone: a new SQLite database under
`.couplet/`, sample data, and an admin application user with fixed, printed credentials.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from ..apps.crm.app import API_ROOT
from ..apps.crm.app import create_app as create_crm
from ..apps.crm.seed import open_crm_tx, seed_crm
from ..settings import CrmSettings

DEMO_DIR = Path(".couplet")
DEMO_DB = "demo-crm.db"
# Fixed on purpose: the demo is local and throwaway, and printed credentials that never
# change are easier to paste into other tools than generated ones.
ADMIN_CLIENT_ID = "couplet-admin"
ADMIN_CLIENT_SECRET = "couplet-demo-secret"


def demo(
    accounts: Annotated[int, typer.Option(min=1, help="Sample accounts to seed.")] = 50,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the CRM.")] = 8101,
) -> None:
    """Start a seeded reference CRM on a fresh demo database; Ctrl-C stops it."""
    console = Console()
    if not _port_free(host, port):
        console.print(
            f"[red]Port {port} on {host} is in use[/red]; stop what runs there or pass --port."
        )
        raise typer.Exit(2)
    database = _fresh_database(DEMO_DIR / DEMO_DB)
    settings = CrmSettings(
        database_url=f"sqlite:///{database}",
        host=host,
        port=port,
        admin_client_id=ADMIN_CLIENT_ID,
        admin_client_secret=ADMIN_CLIENT_SECRET,
    )
    with console.status("Seeding the CRM…"), open_crm_tx(settings) as tx:
        counts = seed_crm(tx, accounts=accounts)
    app = create_crm(settings)
    base = f"http://{host}:{port}"
    console.print(
        f"[bold]couplet demo[/bold]: reference CRM with {counts['accounts']} accounts, "
        f"{counts['contacts']} contacts, {counts['products']} products, "
        f"{counts['quotes']} quotes and {counts['salesorders']} orders "
        f"(database {database})."
    )
    console.print(f"  Web API:       {base}{API_ROOT}/")
    console.print(f"  Client id:     {ADMIN_CLIENT_ID}")
    console.print(f"  Client secret: {ADMIN_CLIENT_SECRET}")
    console.print("  Get a token, then read accounts:", highlight=False)
    console.print(
        f"    TOKEN=$(curl -s {base}/oauth2/token -d grant_type=client_credentials \\\n"
        f"      -d client_id={ADMIN_CLIENT_ID} -d client_secret={ADMIN_CLIENT_SECRET} \\\n"
        "      | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'    curl -H "Authorization: Bearer $TOKEN" '
        f"'{base}{API_ROOT}/accounts?$select=name,accountnumber&$top=5'",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print("Press Ctrl-C to stop.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _fresh_database(path: Path) -> Path:
    """Deletes the previous demo database (with SQLite's WAL side files) so every demo
    starts from the same state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return path


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
