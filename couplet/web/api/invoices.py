"""`/api/v1/invoices`: posted ERP invoices and "create in CRM" (§7.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...flows.invoices.posted import create_in_crm, invoice_listing
from ..deps import ContextDep

router = APIRouter(tags=["invoices"])


class CreateIn(BaseModel):
    numbers: list[str] = Field(min_length=1)


@router.get("/invoices", summary="Posted ERP invoices and their CRM invoices")
def list_invoices(ctx: ContextDep) -> list[dict[str, Any]]:
    return invoice_listing(ctx)


@router.post("/invoices/create-in-crm", summary="Create CRM invoices for posted ERP invoices")
def create(body: CreateIn, ctx: ContextDep) -> dict[str, Any]:
    _, results = create_in_crm(ctx, body.numbers)
    return {
        "results": [{**r.__dict__, "failed": r.failed} for r in results],
        "failed": sum(r.failed for r in results),
    }
