"""The admin pages (GET): dashboard, mapping, job log, errors, skipped records, full
synchronization review, connection setup."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...engine import catalogue, full_sync, shapes
from ...engine.errors import ConfigError, CoupletError, UnknownMappingError
from ...engine.model import Direction, LineStatus, Recommendation, TableMapping
from ...operations.integration import Integration
from ..deps import IntegrationDep
from ..errors import message
from .render import page

router = APIRouter(include_in_schema=False)

PAGE = 50


def _mappings(integration: Integration) -> dict[str, TableMapping]:
    """The mappings, or none yet (the dashboard then says how to get them)."""
    try:
        return integration.mappings()
    except ConfigError:
        return {}


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, integration: IntegrationDep) -> HTMLResponse:
    mappings = _mappings(integration)
    queue = {e.name: e for e in integration.queue.entries()}
    couplings = integration.state.coupling_counts()
    errors = integration.state.error_counts()
    rows: list[dict[str, Any]] = []
    for name, m in mappings.items():
        last = integration.state.jobs(name, 1)
        rows.append(
            {
                **shapes.mapping_summary(m),
                "entry": queue.get(name),
                "last_job": last[0] if last else None,
                "couplings": couplings.get(name, (0, 0))[0],
                "skipped": couplings.get(name, (0, 0))[1],
                "errors": errors.get(name, 0),
            }
        )
    return page(
        request,
        "dashboard.html",
        connection=integration.stored_connection(),
        rows=rows,
    )


@router.get("/mappings/{name}", response_class=HTMLResponse)
def mapping(
    request: Request, name: str, integration: IntegrationDep, offset: int = Query(0, ge=0)
) -> HTMLResponse:
    try:
        m = integration.mapping(name)
    except (UnknownMappingError, ConfigError) as exc:
        return page(request, "missing.html", 404, what=str(exc))
    total, couplings = integration.state.couplings_page(name, offset, PAGE)
    return page(
        request,
        "mapping.html",
        m=m,
        doc=catalogue.to_document(m),
        directions=[d.value for d in _directions(m)],
        total=total,
        couplings=couplings,
        offset=offset,
        page_size=PAGE,
        jobs=integration.state.jobs(name, 10),
    )


def _directions(m: TableMapping) -> list[Direction]:
    return [d for d in Direction if m.direction.includes(d)]


@router.get("/jobs", response_class=HTMLResponse)
def jobs(request: Request, integration: IntegrationDep, mapping: str | None = None) -> HTMLResponse:
    return page(
        request,
        "jobs.html",
        jobs=integration.state.jobs(mapping or None, 200),
        names=list(_mappings(integration)),
        mapping=mapping or "",
    )


@router.get("/errors", response_class=HTMLResponse)
def errors(request: Request, integration: IntegrationDep, job: str | None = None) -> HTMLResponse:
    return page(request, "errors.html", errors=integration.state.errors(job or None, 500), job=job)


@router.get("/skipped", response_class=HTMLResponse)
def skipped(request: Request, integration: IntegrationDep) -> HTMLResponse:
    return page(request, "skipped.html", couplings=integration.state.skipped_couplings())


@router.get("/full-sync", response_class=HTMLResponse)
def full_sync_review(request: Request, integration: IntegrationDep) -> HTMLResponse:
    # Opening the review refreshes the recommendations, as the product's page does; when
    # that cannot be done the lines already stored are shown with the reason.
    problem = None
    try:
        lines = integration.review_full_sync()
    except (CoupletError, httpx.HTTPError) as exc:
        problem = message(exc)
        lines = integration.state.full_sync_lines()
    return page(
        request,
        "full_sync.html",
        lines=lines,
        failed={x.name for x in lines if full_sync.failed(x)},
        problem=problem,
        startable=problem is None
        and any(
            x.recommendation is not Recommendation.NO_RECORDS
            and x.status in (LineStatus.NOT_STARTED, LineStatus.IN_PROCESS)
            for x in lines
        ),
    )


@router.get("/connection", response_class=HTMLResponse)
def connection(request: Request, integration: IntegrationDep) -> HTMLResponse:
    return page(request, "connection.html", connection=integration.stored_connection())


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: str, integration: IntegrationDep) -> HTMLResponse:
    shown = integration.run_status(run_id)
    if shown is None:
        return page(request, "missing.html", 404, what=f"There is no queued run {run_id}.")
    return page(request, "run.html", run=shown)
