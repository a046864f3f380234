"""`couplet`: serve the reference services, seed sample data, run the demo."""

from __future__ import annotations

import typer

from .availability import availability_app
from .couplings import couple, create_in_crm, create_in_erp, match, uncouple
from .demo import demo
from .invoices import invoices_app
from .log import errors, jobs, skipped
from .mappings import mappings_app
from .orders import orders_app
from .quotes import quotes_app
from .seed import seed_app
from .serve import serve_app
from .serve_all import serve_all
from .setup import setup
from .statistics import statistics_app
from .sync import full_sync_command, sync, worker
from .tokens import tokens_app

app = typer.Typer(
    help="couplet connects a CRM and an ERP across lead-to-cash.",
    no_args_is_help=True,
    add_completion=False,
)
serve_app.command("all")(serve_all)
app.add_typer(serve_app, name="serve")
app.add_typer(seed_app, name="seed")
app.command("demo")(demo)
app.command("setup")(setup)
app.add_typer(mappings_app, name="mappings")
app.add_typer(orders_app, name="orders")
app.add_typer(availability_app, name="availability")
app.add_typer(quotes_app, name="quotes")
app.add_typer(invoices_app, name="invoices")
app.add_typer(statistics_app, name="statistics")
app.command("sync")(sync)
app.command("full-sync")(full_sync_command)
app.command("couple")(couple)
app.command("create-in-crm")(create_in_crm)
app.command("create-in-erp")(create_in_erp)
app.command("uncouple")(uncouple)
app.command("match")(match)
app.command("jobs")(jobs)
app.command("errors")(errors)
app.command("skipped")(skipped)
app.command("worker")(worker)
app.add_typer(tokens_app, name="tokens")

if __name__ == "__main__":  # pragma: no cover
    app()
