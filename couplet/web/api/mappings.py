"""`/api/v1/mappings`: integration table mappings with their field mappings (the documents
of `couplet mappings show --json`), replaced one at a time or reset to the defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ...engine import catalogue, shapes
from ..deps import IntegrationDep

router = APIRouter(tags=["mappings"])


class MappingDocument(BaseModel):
    """A mapping document; the shape is checked here, the rules (directions, flags,
    dependencies) by the engine against the whole catalogue."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    erp_table: str
    crm_table: str
    direction: str = "bidirectional"
    fields: list[dict[str, Any]] = []


class ResetIn(BaseModel):
    names: list[str] | None = None


@router.get("/mappings", summary="The mappings, in catalogue order")
def list_mappings(integration: IntegrationDep) -> list[dict[str, Any]]:
    return [shapes.mapping_summary(m) for m in integration.mappings().values()]


@router.get("/mappings/{name}", summary="One mapping with its field mappings")
def get_mapping(name: str, integration: IntegrationDep) -> dict[str, Any]:
    return catalogue.to_document(integration.mapping(name))


@router.put("/mappings/{name}", summary="Replace one mapping (validated with all the others)")
def put_mapping(name: str, body: MappingDocument, integration: IntegrationDep) -> dict[str, Any]:
    document = body.model_dump(exclude_none=True)
    return catalogue.to_document(integration.replace_mapping(name, document))


@router.post("/mappings/reset", summary="Restore default mappings (all, or the named ones)")
def reset_mappings(
    integration: IntegrationDep, body: ResetIn | None = None
) -> dict[str, list[str]]:
    names = body.names if body and body.names else None
    done = integration.reset_mappings(names)
    return {"reset": names or done}
