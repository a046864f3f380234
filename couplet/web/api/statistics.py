"""`/api/v1/statistics/update`: account statistics and invoice payment status now (§7.2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import IntegrationDep

router = APIRouter(tags=["statistics"])


class UpdateIn(BaseModel):
    customer_numbers: list[str] | None = None


@router.post(
    "/statistics/update",
    summary="Update account statistics and invoice status (all coupled customers if none named)",
)
def update(integration: IntegrationDep, body: UpdateIn | None = None) -> dict[str, Any]:
    run = integration.update_statistics(body.customer_numbers if body else None)
    return {
        "customers": [c.__dict__ for c in run.customers],
        "invoices_changed": run.invoices_changed,
        "job_id": run.job.id,
        "failed": run.job.failed,
        "message": run.message,
    }
