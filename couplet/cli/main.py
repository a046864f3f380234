"""`couplet`: serve the reference services, seed sample data, run the demo."""

from __future__ import annotations

import typer

from .demo import demo
from .mappings import mappings_app
from .seed import seed_app
from .serve import serve_app
from .setup import setup

app = typer.Typer(
    help="couplet connects a CRM and an ERP across lead-to-cash.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(serve_app, name="serve")
app.add_typer(seed_app, name="seed")
app.command("demo")(demo)
app.command("setup")(setup)
app.add_typer(mappings_app, name="mappings")

if __name__ == "__main__":  # pragma: no cover
    app()
