"""`/api/v1/mappings/{name}/couplings`, `/match`, `/create-in-crm`, `/create-in-erp`:
coupling records by hand, by matching field values, or by creating the partner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from ...engine import shapes
from ...engine.model import Direction, Side
from ..deps import IntegrationDep

router = APIRouter(tags=["couplings"])


class CoupleIn(BaseModel):
    erp_id: str = Field(min_length=1)
    crm_id: str = Field(min_length=1)
    sync: Direction | None = None  # synchronize the pair right after, in this direction


class UncoupleIn(BaseModel):
    erp_ids: list[str] = []
    crm_ids: list[str] = []
    all: bool = False

    @model_validator(mode="after")
    def _some(self) -> UncoupleIn:
        if not (self.erp_ids or self.crm_ids or self.all):
            raise ValueError("give erp_ids, crm_ids or all: true")
        return self


class MatchIn(BaseModel):
    fields: list[str] | None = None  # ERP field names; the mapping's match fields if none
    create_new: bool | None = None  # the mapping's setting if omitted


class CreateInCrmIn(BaseModel):
    erp_ids: list[str] = Field(min_length=1)


class CreateInErpIn(BaseModel):
    crm_ids: list[str] = Field(min_length=1)


@router.get("/mappings/{name}/couplings", summary="A page of the mapping's couplings")
def list_couplings(
    name: str,
    integration: IntegrationDep,
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    integration.mapping(name)
    total, page = integration.state.couplings_page(name, offset, limit)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": [shapes.coupling(c) for c in page],
    }


@router.post(
    "/mappings/{name}/couplings", status_code=201, summary="Couple an ERP and a CRM record"
)
def add_coupling(name: str, body: CoupleIn, integration: IntegrationDep) -> dict[str, Any]:
    coupling, jobs = integration.couple(name, body.erp_id, body.crm_id, sync=body.sync)
    return {"coupling": shapes.coupling(coupling), "jobs": [shapes.job(j) for j in jobs]}


@router.delete("/mappings/{name}/couplings", summary="Uncouple records (they stay on both sides)")
def remove_couplings(name: str, body: UncoupleIn, integration: IntegrationDep) -> dict[str, Any]:
    job = integration.uncouple(
        name, erp_ids=body.erp_ids, crm_ids=body.crm_ids, everything=body.all
    )
    return {"uncoupled": job.uncoupled, "job": shapes.job(job)}


@router.post("/mappings/{name}/match", summary="Match-based coupling")
def match(name: str, integration: IntegrationDep, body: MatchIn | None = None) -> dict[str, Any]:
    body = body or MatchIn()
    result = integration.match(name, fields=body.fields, create_new=body.create_new)
    return {
        "coupled": result.coupled,
        "unmatched": result.unmatched,
        "jobs": [shapes.job(j) for j in (result.job, *result.jobs)],
    }


@router.post("/mappings/{name}/create-in-crm", summary="Create CRM rows for ERP records")
def create_in_crm(name: str, body: CreateInCrmIn, integration: IntegrationDep) -> dict[str, Any]:
    jobs, already = integration.create_in(name, Side.CRM, body.erp_ids)
    return {"jobs": [shapes.job(j) for j in jobs], "already_coupled": already}


@router.post("/mappings/{name}/create-in-erp", summary="Create ERP records for CRM rows")
def create_in_erp(name: str, body: CreateInErpIn, integration: IntegrationDep) -> dict[str, Any]:
    jobs, already = integration.create_in(name, Side.ERP, body.crm_ids)
    return {"jobs": [shapes.job(j) for j in jobs], "already_coupled": already}
