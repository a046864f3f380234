"""`/api/v1/sync`, `/mappings/{name}/sync-now` and `/full-sync`: running synchronization.

The runs happen inside the request, synchronously, so the answer carries their jobs; a
long full synchronization keeps the request open until it is done (see the job log or
`/full-sync` from another client for progress).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, model_validator

from ...engine import full_sync, shapes
from ...engine.manual import synchronize_now
from ...engine.model import Direction
from ...engine.runner import synchronize_many
from ..deps import ContextDep

router = APIRouter(tags=["synchronization"])


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


@router.post("/sync", summary="Synchronize modified records now (all mappings if none named)")
def sync(ctx: ContextDep, body: SyncIn | None = None) -> dict[str, Any]:
    body = body or SyncIn()
    jobs = synchronize_many(ctx, body.mappings, direction=body.direction, full=body.full)
    return {"jobs": [shapes.job(j) for j in jobs], "failed": sum(j.failed for j in jobs)}


@router.post("/mappings/{name}/sync-now", summary="Synchronize coupled records now")
def sync_now(name: str, body: SyncNowIn, ctx: ContextDep) -> dict[str, Any]:
    mapping = ctx.mapping(name)
    result = synchronize_now(
        ctx,
        name,
        body.direction or mapping.direction,
        erp_ids=body.erp_ids,
        crm_ids=body.crm_ids,
        from_couplings=body.from_couplings,
    )
    return shapes.sync_now(result)


@router.get("/full-sync", summary="The full synchronization review (refreshed)")
def review(ctx: ContextDep) -> list[dict[str, Any]]:
    return [shapes.full_sync_line(x) for x in full_sync.review(ctx)]


@router.post(
    "/full-sync/start",
    summary="Run the full synchronization in dependency waves until done (resumable)",
)
def start(ctx: ContextDep) -> dict[str, Any]:
    full_sync.review(ctx)
    lines = full_sync.start(ctx)
    return {
        "lines": [shapes.full_sync_line(x) for x in lines],
        "failed": [x.name for x in lines if shapes.line_failed(x)],
    }
