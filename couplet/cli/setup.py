"""`couplet setup`: store (or change) the connection, test it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..engine.connection import SETTINGS, Connection
from ..engine.errors import ConfigError
from .common import EXIT_CONFIG, console, integration_session, print_json

Opt = typer.Option


def setup(
    crm_url: Annotated[str | None, Opt(help="CRM base URL, e.g. http://127.0.0.1:8101")] = None,
    crm_client_id: Annotated[str | None, Opt(help="OAuth client id for the CRM")] = None,
    crm_client_secret: Annotated[
        str | None,
        Opt(
            help="OAuth client secret for the CRM; '-' asks for it without echo. A flag's "
            "value is visible to other users (ps): prefer the file or the variable",
            envvar="COUPLET_SETUP_CRM_CLIENT_SECRET",
            show_envvar=True,
        ),
    ] = None,
    crm_client_secret_file: Annotated[
        Path | None, Opt(help="Read the CRM client secret from this file (first line)")
    ] = None,
    erp_url: Annotated[str | None, Opt(help="ERP base URL, e.g. http://127.0.0.1:8102")] = None,
    erp_client_id: Annotated[str | None, Opt(help="OAuth client id for the ERP")] = None,
    erp_client_secret: Annotated[
        str | None,
        Opt(
            help="OAuth client secret for the ERP; '-' asks for it without echo. A flag's "
            "value is visible to other users (ps): prefer the file or the variable",
            envvar="COUPLET_SETUP_ERP_CLIENT_SECRET",
            show_envvar=True,
        ),
    ] = None,
    erp_client_secret_file: Annotated[
        Path | None, Opt(help="Read the ERP client secret from this file (first line)")
    ] = None,
    erp_company: Annotated[str | None, Opt(help="ERP company name (default CRONUS)")] = None,
    crm_authority: Annotated[
        str | None,
        Opt(
            help="Sign in to the CRM at this authority, e.g. https://login.microsoftonline.com/<tenant>"
        ),
    ] = None,
    erp_authority: Annotated[
        str | None,
        Opt(
            help="Sign in to the ERP at this authority, e.g. https://login.microsoftonline.com/<tenant>"
        ),
    ] = None,
    crm_scope: Annotated[
        str | None, Opt(help="CRM token scope (default {crm-url}/.default)")
    ] = None,
    erp_scope: Annotated[
        str | None,
        Opt(help="ERP token scope (default https://api.businesscentral.dynamics.com/.default)"),
    ] = None,
    crm_certificate: Annotated[
        Path | None, Opt(help="PEM file (private key + certificate) to sign in to the CRM with")
    ] = None,
    erp_certificate: Annotated[
        Path | None, Opt(help="PEM file (private key + certificate) to sign in to the ERP with")
    ] = None,
    sales_order_integration: Annotated[
        bool | None, Opt("--sales-order-integration/--no-sales-order-integration")
    ] = None,
    auto_create_sales_orders: Annotated[
        bool | None, Opt("--auto-create-sales-orders/--no-auto-create-sales-orders")
    ] = None,
    auto_process_quotes: Annotated[
        bool | None, Opt("--auto-process-quotes/--no-auto-process-quotes")
    ] = None,
    item_availability: Annotated[
        bool | None, Opt("--item-availability/--no-item-availability")
    ] = None,
    enable: Annotated[
        bool,
        Opt("--enable", help="Enable synchronization: create the default mappings and jobs"),
    ] = False,
    test: Annotated[
        bool, Opt("--test", help="Sign in to both systems and check the setup")
    ] = False,
    show: Annotated[bool, Opt("--show", help="Print the stored setup (secrets hidden)")] = False,
    json_output: Annotated[bool, Opt("--json", help="Machine-readable output")] = False,
    database_url: Annotated[str | None, Opt(help="Engine database URL")] = None,
) -> None:
    """Store the connection to the CRM and the ERP (values not given are kept)."""
    switches = {
        "sales_order_integration": sales_order_integration,
        "auto_create_sales_orders": auto_create_sales_orders,
        "auto_process_quotes": auto_process_quotes,
        "item_availability": item_availability,
    }
    with integration_session(database_url) as integration:
        # Built here: an unreadable certificate file is reported as the setup's error.
        given = {
            "crm_url": crm_url,
            "crm_client_id": crm_client_id,
            "crm_client_secret": _secret(crm_client_secret, crm_client_secret_file, "crm"),
            "erp_url": erp_url,
            "erp_client_id": erp_client_id,
            "erp_client_secret": _secret(erp_client_secret, erp_client_secret_file, "erp"),
            "erp_company": erp_company,
            "crm_authority": crm_authority,
            "crm_scope": crm_scope,
            "crm_certificate": _read(crm_certificate),
            "erp_authority": erp_authority,
            "erp_scope": erp_scope,
            "erp_certificate": _read(erp_certificate),
        }
        stored = integration.stored_connection()
        changing = any(v is not None for v in (*given.values(), *switches.values()))
        connection = stored
        if changing or stored is None:
            connection = integration.save_connection(_asked(stored, given), switches)
            if not json_output:
                console.print("[green]Connection saved.[/green]")
        assert connection is not None
        # Enabling an enabled connection only refreshes its flow jobs, as setup always did.
        if enable or connection.enabled:
            enabled = integration.enable()
            connection = enabled.connection
            if enabled.created_mappings and not json_output:
                console.print(f"Default mappings created: {', '.join(enabled.created_mappings)}.")
            if enabled.newly and not json_output:
                console.print("[green]Synchronization enabled.[/green]")
        password = integration.ensure_admin()
        if password and not json_output:
            console.print(
                f"Web app sign-in created: user [bold]{integration.admin_user}[/bold], "
                f"password [bold]{password}[/bold] (shown once; "
                "COUPLET_ENGINE_ADMIN_PASSWORD sets another).",
                soft_wrap=True,
            )
        if show:
            if json_output:
                print_json(connection.redacted())
            else:
                for key, value in connection.redacted().items():
                    console.print(f"{key}: {value}")
        if test:
            checks = integration.check_connection()
            if json_output:
                print_json([c.__dict__ for c in checks])
            else:
                for c in checks:
                    mark = "[green]ok[/green]" if c.ok else "[red]FAILED[/red]"
                    console.print(f"{mark} {c.name}: {c.detail}")
            if not all(c.ok for c in checks):
                raise typer.Exit(EXIT_CONFIG)


def _secret(value: str | None, file: Path | None, side: str) -> str | None:
    """A client secret from the flag (or its environment variable), a file, or a prompt
    (`-`): secrets on a command line are visible to every user of the machine."""
    if value is not None and file is not None:
        raise ConfigError(f"Give --{side}-client-secret or --{side}-client-secret-file, not both.")
    if file is not None:
        try:
            lines = file.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"Cannot read the secret file {file}: {exc.strerror}") from None
        if not lines or not lines[0].strip():
            raise ConfigError(f"The secret file {file} is empty.")
        return lines[0].strip()
    if value == "-":
        return _ask(f"{side}_client_secret", required=False)
    return value


def _read(path: Path | None) -> str | None:
    """The certificate file's PEM text (stored encrypted, like the secrets)."""
    if path is None:
        return None
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigError(f"Cannot read the certificate file {path}: {exc.strerror}") from None


def _asked(stored: Connection | None, given: dict[str, str | None]) -> dict[str, str | None]:
    """The given values, with the missing ones asked for when nothing is stored yet (the
    use case then says what is still missing)."""
    if stored is not None:
        return given
    needed = set(SETTINGS) - {"erp_company"}
    for side in ("crm", "erp"):
        if given.get(f"{side}_certificate"):
            needed.discard(f"{side}_client_secret")
    return {k: _ask(k) if v is None and k in needed else v for k, v in given.items()}


def _ask(name: str, *, required: bool = True) -> str:
    """Asks for a value at the terminal (hidden for secrets). `required`: asked because the
    first setup lacks it; else because the user said `-`."""
    flag = "--" + name.replace("_", "-")
    if required and not sys.stdin.isatty():
        raise ConfigError(f"The connection is not set up yet and {flag} is missing.")
    try:
        return str(typer.prompt(flag[2:].replace("-", " "), hide_input="secret" in name))
    except typer.Abort:
        raise typer.Exit(EXIT_CONFIG) from None
