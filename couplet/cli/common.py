"""What every engine command shares: opening the integration, errors as exit codes, output."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..engine.errors import ConfigError, CoupletError
from ..operations.integration import Integration
from ..settings import EngineSettings
from ..wiring import open_integration

console = Console()
# Errors are not wrapped to the terminal width: they are read, copied and grepped whole.
err_console = Console(stderr=True, soft_wrap=True)

# Exit codes: 0 success, 1 the work ran but records failed, 2 bad usage or configuration.
EXIT_FAILED_RECORDS = 1
EXIT_CONFIG = 2

# Tests replace this to reach in-process services.
integration_factory: Callable[[EngineSettings], Integration] = open_integration


@contextmanager
def integration_session(database_url: str | None = None) -> Iterator[Integration]:
    settings = EngineSettings(database_url=database_url) if database_url else EngineSettings()
    try:
        integration = integration_factory(settings)
    except CoupletError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from None
    try:
        yield integration
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_CONFIG) from None
    except CoupletError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_FAILED_RECORDS) from None
    finally:
        integration.close()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def spinner(quiet: bool) -> Progress:
    """A progress display for long work (hidden with --json, so output stays parseable)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )
