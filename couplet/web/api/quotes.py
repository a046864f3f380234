"""`/api/v1/quotes`: CRM quotes waiting for the ERP and processing them (§6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import IntegrationDep

router = APIRouter(tags=["quotes"])


class ProcessIn(BaseModel):
    crm_ids: list[str] | None = None  # every waiting quote when none are given


@router.get("/quotes/pending", summary="Active and won CRM quotes waiting for processing")
def pending(integration: IntegrationDep) -> list[dict[str, object]]:
    return integration.waiting_quotes()


@router.post("/quotes/process", summary="Process CRM quotes in the ERP (all waiting if none)")
def process(integration: IntegrationDep, body: ProcessIn | None = None) -> dict[str, Any]:
    job, results = integration.process_quotes(body.crm_ids if body else None)
    if job is None:
        return {"job_id": None, "results": [], "failed": 0}
    return {"job_id": job.id, "results": [r.__dict__ for r in results], "failed": job.failed}
