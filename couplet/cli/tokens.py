"""`couplet tokens create|list|revoke`: API tokens for the engine's REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EXIT_CONFIG, console, err_console, integration_session, print_json, print_table

tokens_app = typer.Typer(help="API tokens for the REST API (Authorization: Bearer …).")

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@tokens_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Create a token and print it (only now: the engine keeps just its hash)."""
    with integration_session(database_url) as integration:
        record, token = integration.create_token(name)
    if json_output:
        print_json({"id": record.id, "name": record.name, "token": token})
        return
    typer.echo(token)
    err_console.print(f"Token {record.id} ({name}); use it as: Authorization: Bearer <token>")


@tokens_app.command("list")
def list_tokens(json_output: Json = False, database_url: DbUrl = None) -> None:
    """The tokens (ids and names; the tokens themselves are not kept)."""
    with integration_session(database_url) as integration:
        found = integration.tokens()
    if json_output:
        print_json([t.__dict__ for t in found])
        return
    print_table(
        "API tokens", ["Id", "Name", "Created"], [[t.id, t.name, t.created_at] for t in found]
    )


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="Token id")], database_url: DbUrl = None
) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    with integration_session(database_url) as integration:
        if not integration.revoke_token(token_id):
            err_console.print(f"[red]error:[/red] there is no token {token_id}")
            raise typer.Exit(EXIT_CONFIG)
    console.print(f"Token {token_id} revoked.")
