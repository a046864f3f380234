"""`couplet`: serve the reference services, seed sample data, run the demo."""

from __future__ import annotations

import typer

from .serve import serve_app
from .setup import setup

app = typer.Typer(help="couplet connects a CRM and an ERP across lead-to-cash.",
                  no_args_is_help=True, add_completion=False)
app.add_typer(serve_app, name="serve")
app.command("setup")(setup)

if __name__ == "__main__":  # pragma: no cover
    app()
