"""`/api/v1/orders`: sales order integration (§5.2, §5.3) - submitted CRM orders, their
creation in the ERP, and the status and notes jobs run now. Same work as `couplet orders`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...engine import shapes
from ..deps import IntegrationDep

router = APIRouter(tags=["sales orders"])


class CreateIn(BaseModel):
    crm_ids: list[str] = Field(min_length=1)


@router.get("/orders/submitted", summary="CRM orders submitted and not yet in the ERP")
def submitted(integration: IntegrationDep) -> list[dict[str, Any]]:
    return integration.submitted_orders()


@router.post("/orders/create", summary="Create ERP sales orders for submitted CRM orders")
def create(body: CreateIn, integration: IntegrationDep) -> dict[str, Any]:
    job, results = integration.create_orders(body.crm_ids)
    return {"job": shapes.job(job), "results": [r.__dict__ for r in results]}


@router.post(
    "/orders/status",
    summary="Run the order status and notes jobs now (timeline posts, Invoiced, notes)",
)
def status(integration: IntegrationDep) -> dict[str, Any]:
    jobs = integration.update_order_status()
    return {"jobs": [shapes.job(j) for j in jobs], "failed": sum(j.failed for j in jobs)}
