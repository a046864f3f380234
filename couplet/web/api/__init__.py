"""The engine's REST API under `/api/v1/`: the same operations as the command line, as
JSON (shapes shared with the CLI's `--json` through `engine.shapes`)."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    availability,
    connection,
    couplings,
    invoices,
    log,
    mappings,
    orders,
    quotes,
    statistics,
    sync,
)

router = APIRouter(prefix="/api/v1")
for part in (
    connection,
    mappings,
    sync,
    couplings,
    log,
    orders,
    quotes,
    invoices,
    statistics,
    availability,
):
    router.include_router(part.router)
