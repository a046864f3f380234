"""`/api/v1/orders`: sales order integration (§5.2, §5.3) - submitted CRM orders, their
creation in the ERP, and the status and notes jobs run now. Same work as `couplet orders`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...engine import shapes
from ...flows.builders.lines import sales_setup
from ...flows.orders.creation import create_orders, submitted_listing
from ...flows.orders.notes import run_notes
from ...flows.orders.status import run_status
from ..deps import ContextDep

router = APIRouter(tags=["sales orders"])


class CreateIn(BaseModel):
    crm_ids: list[str] = Field(min_length=1)


@router.get("/orders/submitted", summary="CRM orders submitted and not yet in the ERP")
def submitted(ctx: ContextDep) -> list[dict[str, Any]]:
    return submitted_listing(ctx)


@router.post("/orders/create", summary="Create ERP sales orders for submitted CRM orders")
def create(body: CreateIn, ctx: ContextDep) -> dict[str, Any]:
    job, results = create_orders(ctx, body.crm_ids, sales_setup(ctx))
    return {"job": shapes.job(job), "results": [r.__dict__ for r in results]}


@router.post(
    "/orders/status",
    summary="Run the order status and notes jobs now (timeline posts, Invoiced, notes)",
)
def status(ctx: ContextDep) -> dict[str, Any]:
    jobs = [run_status(ctx), run_notes(ctx)]
    return {"jobs": [shapes.job(j) for j in jobs], "failed": sum(j.failed for j in jobs)}
