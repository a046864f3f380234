"""`/api/v1/jobs`, `/errors`, `/job-queue`, `/skipped`: what synchronization did, what it
could not do, and putting skipped records back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, model_validator

from ...engine import shapes
from ..deps import IntegrationDep

router = APIRouter(tags=["log"])


@router.get("/jobs", summary="The synchronization job log, newest first")
def list_jobs(
    integration: IntegrationDep,
    mapping: str | None = None,
    limit: int = Query(100, ge=1, le=10_000),
) -> list[dict[str, Any]]:
    return [shapes.job(j) for j in integration.state.jobs(mapping, limit)]


@router.get("/errors", summary="Records that failed, newest first")
def list_errors(
    integration: IntegrationDep, job: str | None = None, limit: int = Query(200, ge=1, le=10_000)
) -> list[dict[str, Any]]:
    return [shapes.error(i, e) for i, e in integration.state.errors(job, limit)]


@router.get("/job-queue", summary="Job queue entries and their schedule")
def list_queue(integration: IntegrationDep) -> list[dict[str, Any]]:
    return [shapes.queue_entry(e) for e in integration.queue.entries()]


@router.get("/skipped", summary="Couplings skipped after the same error twice")
def list_skipped(integration: IntegrationDep, mapping: str | None = None) -> list[dict[str, Any]]:
    return [shapes.skipped(c) for c in integration.state.skipped_couplings(mapping)]


class RestoreIn(BaseModel):
    """Which skipped couplings to restore: the given coupling ids, or all of them."""

    ids: list[str] = []
    all: bool = False

    @model_validator(mode="after")
    def _some(self) -> RestoreIn:
        if not self.ids and not self.all:
            raise ValueError("give coupling ids or all: true")
        return self


@router.post("/skipped/restore", summary="Put skipped couplings back into synchronization")
def restore(body: RestoreIn, integration: IntegrationDep) -> dict[str, int]:
    return {"restored": integration.restore_skipped(None if body.all else body.ids)}
