"""What the admin pages' forms do (POST), each answered with a redirect to the page that
shows the outcome. They call the same use cases (`Integration`) as the REST API and the CLI; a
problem is reported on the page rather than as an error status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import httpx
from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from ...engine.errors import CoupletError
from ...engine.model import Direction
from ...operations.runs import Queued
from ..deps import IntegrationDep
from ..errors import message
from .render import back

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form()]
Secret = Annotated[str, Form()]
Flag = Annotated[bool, Form()]
Ids = Annotated[list[str] | None, Form()]


def _attempt(path: str, work: Callable[[], str]) -> RedirectResponse:
    """Runs the work and redirects to `path` with its message, or with what went wrong."""
    try:
        return back(path, work())
    except (CoupletError, httpx.HTTPError) as exc:
        return back(path, message(exc), ok=False)


@router.post("/connection")
def save_connection(
    integration: IntegrationDep,
    crm_url: Text,
    crm_client_id: Text,
    erp_url: Text,
    erp_client_id: Text,
    erp_company: Text = "CRONUS",
    crm_client_secret: Secret = "",
    erp_client_secret: Secret = "",
    crm_authority: Text = "",
    crm_scope: Text = "",
    crm_certificate: Secret = "",
    erp_authority: Text = "",
    erp_scope: Text = "",
    erp_certificate: Secret = "",
    sales_order_integration: Flag = False,
    auto_create_sales_orders: Flag = False,
    auto_process_quotes: Flag = False,
    item_availability: Flag = False,
) -> RedirectResponse:
    def work() -> str:
        # Blank secrets keep the stored ones: the form never shows them.
        values = {
            "crm_url": crm_url,
            "crm_client_id": crm_client_id,
            "crm_client_secret": crm_client_secret,
            "erp_url": erp_url,
            "erp_client_id": erp_client_id,
            "erp_client_secret": erp_client_secret,
            "erp_company": erp_company,
            "crm_authority": crm_authority,
            "crm_scope": crm_scope,
            "crm_certificate": crm_certificate,
            "erp_authority": erp_authority,
            "erp_scope": erp_scope,
            "erp_certificate": erp_certificate,
        }
        switches: dict[str, bool | None] = {
            "sales_order_integration": sales_order_integration,
            "auto_create_sales_orders": auto_create_sales_orders,
            "auto_process_quotes": auto_process_quotes,
            "item_availability": item_availability,
        }
        integration.save_connection(values, switches)
        return "Connection saved."

    return _attempt("/connection", work)


@router.post("/connection/test")
def test_connection(integration: IntegrationDep) -> RedirectResponse:
    try:
        checks = integration.check_connection()
    except CoupletError as exc:
        return back("/connection", str(exc), ok=False)
    text = "; ".join(f"{c.name}: {'ok' if c.ok else 'FAILED'} ({c.detail})" for c in checks)
    return back("/connection", text, ok=all(c.ok for c in checks))


@router.post("/connection/enable")
def enable(integration: IntegrationDep) -> RedirectResponse:
    def work() -> str:
        created = integration.enable().created_mappings
        return "Synchronization enabled." + (
            f" Default mappings created: {len(created)}." if created else ""
        )

    return _attempt("/", work)


def _queue(path: str, queue: Callable[[], Queued]) -> RedirectResponse:
    """Queues the run (the worker does it, as for the REST API) and shows its page; what
    would fail (not enabled, an unknown mapping) is refused on the page at once."""
    try:
        queued = queue()
    except (CoupletError, httpx.HTTPError, ValueError) as exc:  # ValueError: a bad direction
        return back(path, message(exc), ok=False)
    if queued.joined:
        return back(f"/runs/{queued.id}", "Already queued or running: joined that run.")
    return back(f"/runs/{queued.id}", "Queued: the worker runs it.")


def _direction(value: str) -> Direction | None:
    return Direction(value) if value else None


@router.post("/sync")
def sync_all(integration: IntegrationDep) -> RedirectResponse:
    return _queue("/", integration.queue_sync)


@router.post("/mappings/{name}/sync")
def sync_mapping(name: str, integration: IntegrationDep, direction: Text = "") -> RedirectResponse:
    return _queue(
        f"/mappings/{name}",
        lambda: integration.queue_sync([name], direction=_direction(direction)),
    )


@router.post("/mappings/{name}/match")
def match(
    name: str, integration: IntegrationDep, fields: Text = "", create_new: Flag = False
) -> RedirectResponse:
    def work() -> str:
        chosen = [f.strip() for f in fields.split(",") if f.strip()] or None
        result = integration.match(name, fields=chosen, create_new=create_new)
        return f"Coupled {len(result.coupled)}; unmatched {len(result.unmatched)}."

    return _attempt(f"/mappings/{name}", work)


@router.post("/mappings/{name}/reset")
def reset(name: str, integration: IntegrationDep) -> RedirectResponse:
    def work() -> str:
        integration.reset_mappings([name])
        return f"{name} restored to its default setup."

    return _attempt(f"/mappings/{name}", work)


@router.post("/mappings/{name}/couplings/sync")
def sync_selected(
    name: str,
    integration: IntegrationDep,
    erp_ids: Ids = None,
    direction: Text = "",
) -> RedirectResponse:
    if not erp_ids:
        return back(f"/mappings/{name}", "Select records to synchronize.")
    # From the couplings list, so skipped couplings are synchronized too.
    return _queue(
        f"/mappings/{name}",
        lambda: integration.queue_sync_now(
            name, erp_ids=erp_ids, direction=_direction(direction), from_couplings=True
        ),
    )


@router.post("/mappings/{name}/couplings/delete")
def uncouple_selected(
    name: str,
    integration: IntegrationDep,
    erp_ids: Ids = None,
    everything: Flag = False,
) -> RedirectResponse:
    def work() -> str:
        if not (erp_ids or everything):
            return "Select records to uncouple."
        job = integration.uncouple(name, erp_ids=erp_ids or (), everything=everything)
        return f"{job.uncoupled} coupling(s) removed."

    return _attempt(f"/mappings/{name}", work)


@router.post("/skipped/restore")
def restore(
    integration: IntegrationDep,
    ids: Ids = None,
    everything: Flag = False,
) -> RedirectResponse:
    def work() -> str:
        if not (ids or everything):
            return "Select records to restore."
        n = integration.restore_skipped(None if everything else ids)
        return f"{n} record(s) restored."

    return _attempt("/skipped", work)


@router.post("/full-sync/start")
def start_full_sync(integration: IntegrationDep) -> RedirectResponse:
    return _queue("/full-sync", integration.queue_full_sync)


@router.post("/full-sync/restart")
def restart_full_sync(
    integration: IntegrationDep, line: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """A failed line's button (or, with no line, every failed one): back to not started,
    and the full synchronization queued."""

    def queue() -> Queued:
        integration.restart_full_sync([line] if line else (), all_failed=not line)
        return integration.queue_full_sync()

    return _queue("/full-sync", queue)
