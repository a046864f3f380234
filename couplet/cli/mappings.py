"""`couplet mappings`: list, show, export, import and reset the integration table mappings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..engine import catalogue, shapes
from .common import console, integration_session, print_json, print_table

mappings_app = typer.Typer(
    help="Integration table mappings and their field mappings.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]


@mappings_app.command("list")
def list_mappings(json_output: Json = False, database_url: DbUrl = None) -> None:
    """The mappings, in catalogue order."""
    with integration_session(database_url) as integration:
        rows = [shapes.mapping_summary(m) for m in integration.mappings().values()]
    if json_output:
        print_json(rows)
        return
    print_table(
        "Integration table mappings",
        ["Name", "ERP", "Direction", "CRM", "Fields", "Depends on"],
        [
            [
                r["name"],
                r["erp_entity"],
                r["direction"],
                r["crm_entity"],
                r["fields"],
                ", ".join(r["dependencies"]),
            ]
            for r in rows
        ],
    )


@mappings_app.command("show")
def show(name: str, json_output: Json = False, database_url: DbUrl = None) -> None:
    """One mapping with its field mappings."""
    with integration_session(database_url) as integration:
        doc = catalogue.to_document(integration.mapping(name))
    if json_output:
        print_json(doc)
        return
    for key, value in doc.items():
        if key != "fields":
            console.print(f"[bold]{key}[/bold]: {value}")
    print_table(
        f"{name} field mappings",
        ["ERP field", "Direction", "CRM field", "Flags"],
        [
            [
                f.get("erp", f"= {f.get('constant')!r}"),
                f["direction"],
                f.get("crm", f"= {f.get('constant')!r}"),
                ", ".join(
                    k
                    for k in (
                        "lookup",
                        "option",
                        "match",
                        "not_null",
                        "clear_on_failed_sync",
                        "transform",
                    )
                    if k in f
                ),
            ]
            for f in doc["fields"]
        ],
    )


@mappings_app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="JSON file (stdout if omitted)")] = None,
    database_url: DbUrl = None,
) -> None:
    """Write the mappings as a JSON document (edit it and `import` it back)."""
    with integration_session(database_url) as integration:
        documents = integration.export_mappings()
    text = json.dumps({"mapping": documents}, indent=2, default=str)
    if file is None:
        typer.echo(text)
    else:
        file.write_text(text + "\n", "utf-8")
        console.print(f"Exported {len(documents)} mappings to {file}.")


@mappings_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="JSON or TOML file of mapping documents (as `export` writes)")
    ],
    database_url: DbUrl = None,
) -> None:
    """Replace the mappings with the file's, after checking every rule."""
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}") from None
    with integration_session(database_url) as integration:
        # The schema check names the file and the key's line (TOML) or path (JSON).
        documents = catalogue.read_documents(text, str(file), is_toml=file.suffix == ".toml")
        loaded = integration.import_mappings(documents)
    console.print(f"Imported {len(loaded)} mappings.")


@mappings_app.command("reset")
def reset(
    names: Annotated[
        list[str] | None, typer.Argument(help="Mappings to reset (all if none)")
    ] = None,
    database_url: DbUrl = None,
) -> None:
    """Restore the default mappings (Use Default Synchronization Setup) and their jobs."""
    with integration_session(database_url) as integration:
        done = integration.reset_mappings(names or None)
    console.print(f"Default mappings restored: {', '.join(names or done)}.")
