"""`/api/v1/invoices`: posted ERP invoices and "create in CRM" (§7.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..deps import IntegrationDep

router = APIRouter(tags=["invoices"])


class CreateIn(BaseModel):
    numbers: list[str] = Field(min_length=1)


@router.get("/invoices", summary="Posted ERP invoices and their CRM invoices")
def list_invoices(integration: IntegrationDep) -> list[dict[str, Any]]:
    return integration.posted_invoices()


@router.post("/invoices/create-in-crm", summary="Create CRM invoices for posted ERP invoices")
def create(body: CreateIn, integration: IntegrationDep) -> dict[str, Any]:
    _, results = integration.create_invoices_in_crm(body.numbers)
    return {
        "results": [{**r.__dict__, "failed": r.failed} for r in results],
        "failed": sum(r.failed for r in results),
    }
