"""The engine's REST API under `/api/v1/`: the same operations as the command line, as JSON.

Errors answer `{"detail": "..."}` with 409 for configuration problems (the request is fine,
the setup is not), 422 for invalid bodies, 404 for unknown names.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from ..engine import shapes
from ..engine.connection import Connection, Features
from ..engine.errors import ConfigError
from ..wiring import Engine, check_connection

router = APIRouter(prefix="/api/v1")


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


class ConnectionIn(BaseModel):
    crm_url: str
    crm_client_id: str
    crm_client_secret: str
    erp_url: str
    erp_client_id: str
    erp_client_secret: str
    erp_company: str = "CRONUS"
    sales_order_integration: bool = False
    auto_create_sales_orders: bool = False
    auto_process_quotes: bool = False
    item_availability: bool = False


@router.get("/connection", summary="The stored connection (secrets hidden)")
def get_connection(request: Request) -> dict[str, Any]:
    connection = _engine(request).config.connection()
    if connection is None:
        raise HTTPException(404, "The connection is not set up yet.")
    return connection.redacted()


@router.put("/connection", summary="Store the connection")
def put_connection(body: ConnectionIn, request: Request) -> dict[str, Any]:
    engine = _engine(request)
    data = body.model_dump()
    features = Features(
        **{
            k: data.pop(k)
            for k in (
                "sales_order_integration",
                "auto_create_sales_orders",
                "auto_process_quotes",
                "item_availability",
            )
        }
    )
    try:
        connection = Connection(**data, features=features).validate()
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    engine.config.save_connection(connection, engine.clock())
    return connection.redacted()


@router.post("/connection/test", summary="Sign in to both systems and check the setup")
def test_connection(request: Request) -> dict[str, Any]:
    engine = _engine(request)
    try:
        checks = check_connection(engine, engine.connection())
    except ConfigError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"ok": all(c.ok for c in checks), "checks": [c.__dict__ for c in checks]}


@router.get("/jobs", summary="The synchronization job log, newest first")
def list_jobs(
    request: Request, mapping: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    return [shapes.job(j) for j in _engine(request).state.jobs(mapping, limit)]


@router.get("/errors", summary="Records that failed, newest first")
def list_errors(request: Request, job: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    return [shapes.error(i, e) for i, e in _engine(request).state.errors(job, limit)]


@router.get("/job-queue", summary="Job queue entries and their schedule")
def list_queue(request: Request) -> list[dict[str, Any]]:
    return [shapes.queue_entry(e) for e in _engine(request).queue.entries()]
