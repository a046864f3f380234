"""`/api/v1/availability`: the item availability job run now (integration-behaviour.md §8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...engine import shapes
from ...flows.availability import update_availability
from ..deps import ContextDep

router = APIRouter(tags=["availability"])


class UpdateIn(BaseModel):
    # Only these items; none: items with ledger activity since the last run.
    erp_ids: list[str] | None = None


@router.post("/availability/update", summary="Push item inventory to CRM products now")
def update(ctx: ContextDep, body: UpdateIn | None = None) -> dict[str, Any]:
    job = update_availability(ctx, body.erp_ids if body and body.erp_ids else None)
    return {"job": shapes.job(job) if job else None}
