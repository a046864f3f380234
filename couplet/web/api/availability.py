"""`/api/v1/availability`: the item availability job run now (docs/behaviour.md §8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...engine import shapes
from ..deps import IntegrationDep

router = APIRouter(tags=["availability"])


class UpdateIn(BaseModel):
    # Only these items; none: items with ledger activity since the last run.
    erp_ids: list[str] | None = None


@router.post("/availability/update", summary="Push item inventory to CRM products now")
def update(integration: IntegrationDep, body: UpdateIn | None = None) -> dict[str, Any]:
    job = integration.update_availability(body.erp_ids if body else None)
    return {"job": shapes.job(job) if job else None}
