"""`/api/v1/connection`: store, show, test and enable the connection to the two systems."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from ...operations.connection import ConnectionInputError
from ..deps import IntegrationDep

router = APIRouter(tags=["connection"])

FEATURES = (
    "sales_order_integration",
    "auto_create_sales_orders",
    "auto_process_quotes",
    "item_availability",
)


class ConnectionIn(BaseModel):
    """Values to store; omitted ones (and blank secrets) keep what is stored."""

    crm_url: str | None = None
    crm_client_id: str | None = None
    crm_client_secret: str | None = None
    erp_url: str | None = None
    erp_client_id: str | None = None
    erp_client_secret: str | None = None
    erp_company: str | None = None
    # Sign-in through the Microsoft identity platform (none: the service's own token URL).
    crm_authority: str | None = None
    crm_scope: str | None = None
    crm_certificate: str | None = None  # PEM text: private key and certificate
    erp_authority: str | None = None
    erp_scope: str | None = None
    erp_certificate: str | None = None
    sales_order_integration: bool | None = None
    auto_create_sales_orders: bool | None = None
    auto_process_quotes: bool | None = None
    item_availability: bool | None = None


@router.get("/connection", summary="The stored connection (secrets hidden)")
def get_connection(integration: IntegrationDep) -> dict[str, Any]:
    connection = integration.stored_connection()
    if connection is None:
        raise HTTPException(404, "The connection is not set up yet.")
    return connection.redacted()


@router.put("/connection", summary="Store the connection (omitted values are kept)")
def put_connection(body: ConnectionIn, integration: IntegrationDep) -> dict[str, Any]:
    data = body.model_dump()
    switches = {k: data.pop(k) for k in FEATURES}
    try:
        # Switching sales order integration off while orders wait is refused: 409.
        return integration.save_connection(data, switches).redacted()
    except ConnectionInputError as exc:  # here the body is what is wrong, not the setup
        raise HTTPException(422, str(exc)) from None


@router.post("/connection/test", summary="Sign in to both systems and check the setup")
def test_connection(integration: IntegrationDep) -> dict[str, Any]:
    checks = integration.check_connection()
    return {"ok": all(c.ok for c in checks), "checks": [c.__dict__ for c in checks]}


@router.post(
    "/connection/enable",
    summary="Enable synchronization (creates the default mappings and their jobs)",
)
def enable(integration: IntegrationDep) -> dict[str, Any]:
    enabled = integration.enable()
    return {
        "connection": enabled.connection.redacted(),
        "created_mappings": enabled.created_mappings,
    }
