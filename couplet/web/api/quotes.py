"""`/api/v1/quotes`: CRM quotes waiting for the ERP and processing them (§6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ...flows.builders.lines import sales_setup
from ...flows.quotes.processing import process_quotes, summary, waiting_quotes
from ..deps import ContextDep

router = APIRouter(tags=["quotes"])


class ProcessIn(BaseModel):
    crm_ids: list[str] | None = None  # every waiting quote when none are given


@router.get("/quotes/pending", summary="Active and won CRM quotes waiting for processing")
def pending(ctx: ContextDep) -> list[dict[str, object]]:
    return [summary(r) for r in waiting_quotes(ctx)]


@router.post("/quotes/process", summary="Process CRM quotes in the ERP (all waiting if none)")
def process(ctx: ContextDep, body: ProcessIn | None = None) -> dict[str, Any]:
    ids = (body.crm_ids if body else None) or [r.id for r in waiting_quotes(ctx)]
    if not ids:
        return {"job_id": None, "results": [], "failed": 0}
    job, results = process_quotes(ctx, ids, sales_setup(ctx))
    return {"job_id": job.id, "results": [r.__dict__ for r in results], "failed": job.failed}
