"""`/api/v1/sync`, `/mappings/{name}/sync-now`, `/full-sync/start` and `/full-sync/restart`:
running synchronization.

Each request queues a run (a one-off job queue entry, see `engine.runs`) and answers 202
with its id and the URL to poll, `GET /api/v1/jobs/queue/{id}`: status, records handled so
far, the job log ids and, once finished, the run's result. Whichever worker runs (the one
`couplet serve engine` starts, or `couplet worker`) does the work. `?wait=true` runs it
before answering, for scripts: 200 with the same document when the run succeeded, 502 with
it when the run failed (`ok` false, `summary`, the failed jobs or lines).

A request that a queued or running run covers joins it (docs/behaviour.md §1.5): the
answer is that run's, with `"joined": true`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, model_validator

from ...engine import shapes
from ...engine.model import Direction
from ...operations.runs import WAITING, Queued
from ..deps import IntegrationDep

router = APIRouter(tags=["synchronization"])

WAIT = "Run before answering (200 with the finished run) instead of queueing (202)"


class SyncIn(BaseModel):
    mappings: list[str] | None = None
    direction: Direction | None = None
    full: bool = False


class SyncNowIn(BaseModel):
    erp_ids: list[str] = []
    crm_ids: list[str] = []
    direction: Direction | None = None
    # Records chosen from the couplings list are synchronized even when skipped.
    from_couplings: bool = False

    @model_validator(mode="after")
    def _some(self) -> SyncNowIn:
        if not self.erp_ids and not self.crm_ids:
            raise ValueError("give erp_ids or crm_ids")
        return self


def _queued(
    integration: IntegrationDep, response: Response, queued: Queued, wait: bool
) -> dict[str, Any]:
    url = f"/api/v1/jobs/queue/{queued.id}"
    shown = integration.run_now(queued.id) if wait else integration.run_status(queued.id)
    assert shown is not None
    response.status_code = _status(shown) if wait else 202
    if response.status_code == 202:
        response.headers["Location"] = url
    return {**shown, "url": url, "joined": queued.joined}


def _status(run: dict[str, Any]) -> int:
    """A waited-for run's answer: 200 when it succeeded; 502 when it failed (records the
    services refused, a service down: the document says which); 202 when it is still
    queued or running when the wait's bound passed."""
    if run["status"] in WAITING:
        return 202
    return 200 if run.get("ok") else 502


@router.post(
    "/sync",
    status_code=202,
    summary="Queue synchronization of modified records (all mappings if none named)",
)
def sync(
    integration: IntegrationDep,
    response: Response,
    body: SyncIn | None = None,
    wait: bool = False,
) -> dict[str, Any]:
    body = body or SyncIn()
    queued = integration.queue_sync(body.mappings, direction=body.direction, full=body.full)
    return _queued(integration, response, queued, wait)


@router.post("/mappings/{name}/sync-now", status_code=202, summary="Queue synchronizing records")
def sync_now(
    name: str,
    body: SyncNowIn,
    integration: IntegrationDep,
    response: Response,
    wait: bool = False,
) -> dict[str, Any]:
    queued = integration.queue_sync_now(
        name,
        erp_ids=body.erp_ids,
        crm_ids=body.crm_ids,
        direction=body.direction,
        from_couplings=body.from_couplings,
    )
    return _queued(integration, response, queued, wait)


@router.get("/full-sync", summary="The full synchronization review (refreshed)")
def review(integration: IntegrationDep) -> list[dict[str, Any]]:
    return [shapes.full_sync_line(x) for x in integration.review_full_sync()]


@router.post(
    "/full-sync/start",
    status_code=202,
    summary="Queue the full synchronization in dependency waves until done (resumable)",
)
def start(integration: IntegrationDep, response: Response, wait: bool = False) -> Any:
    return _queued(integration, response, integration.queue_full_sync(), wait)


class RestartIn(BaseModel):
    lines: list[str] = []
    all_failed: bool = False

    @model_validator(mode="after")
    def _one(self) -> RestartIn:
        if bool(self.lines) == self.all_failed:
            raise ValueError("give lines or all_failed (not both)")
        return self


@router.post(
    "/full-sync/restart",
    status_code=202,
    summary="Put full synchronization lines back to not started and queue the full "
    "synchronization (the named lines, or all failed ones)",
)
def restart(
    body: RestartIn, integration: IntegrationDep, response: Response, wait: bool = False
) -> Any:
    lines = integration.restart_full_sync(body.lines, all_failed=body.all_failed)
    queued = _queued(integration, response, integration.queue_full_sync(), wait)
    return {**queued, "restarted": [line.name for line in lines]}


@router.get("/jobs/queue/{run_id}", summary="A queued run: status, progress, job ids, result")
def run_status(run_id: str, integration: IntegrationDep) -> dict[str, Any]:
    shown = integration.run_status(run_id)
    if shown is None:
        raise HTTPException(404, f"There is no queued run {run_id}.")
    return {**shown, "url": f"/api/v1/jobs/queue/{run_id}"}
