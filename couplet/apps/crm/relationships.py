"""Relationship definitions of the metadata Web API:
`EntityDefinitions(LogicalName='x')/ManyToOneRelationships` and `/OneToManyRelationships`
(docs/protocols.md §A13).

Each lookup of a table, per table it can point to, is one one-to-many relationship: the
referenced table's key is referenced by the lookup of the referencing table. The names a
client needs to write and expand it are `ReferencingEntityNavigationPropertyName` (the
`<name>@odata.bind` to use) and `ReferencedEntityNavigationPropertyName` (the collection on the
referenced table). An Owner lookup is one relationship to `owner`, bound through `ownerid`
whether the owner is a user or a team, as in Dataverse.
"""

from __future__ import annotations

import uuid
from typing import Any

from .._common.model import Model
from .schema import Lookup, Table

_NAMESPACE = uuid.UUID("5b0e9a52-6f3c-4f59-9a39-3c1f0e0d5a10")


def relationships(model: Model, tables: dict[str, Table]) -> list[dict[str, Any]]:
    """Every relationship of the model, as the metadata API describes it."""
    out: list[dict[str, Any]] = []
    for spec in tables.values():
        for lk in spec.lookups:
            targets = ("owner",) if lk.owner else lk.targets
            for target in targets:
                out.append(_describe(model, spec, lk, target))
    return out


def _describe(model: Model, spec: Table, lk: Lookup, target: str) -> dict[str, Any]:
    referencing = spec.entity.name
    collection = _collection(model, spec, lk, target)
    if collection is not None:
        schema = collection
    elif lk.polymorphic and not lk.owner:
        schema = f"{referencing}_{lk.name}_{target}"
    else:
        schema = f"{target}_{referencing}_{lk.name}"
    key = "ownerid" if target == "owner" else model.entity(target).key
    return {
        "MetadataId": str(uuid.uuid5(_NAMESPACE, schema)),
        "SchemaName": schema,
        "RelationshipType": "OneToManyRelationship",
        "ReferencedEntity": target,
        "ReferencedAttribute": key,
        "ReferencingEntity": referencing,
        "ReferencingAttribute": lk.name,
        "ReferencedEntityNavigationPropertyName": schema,
        "ReferencingEntityNavigationPropertyName": lk.navigation(target),
        "IsCustomRelationship": referencing.startswith("nav_"),
    }


def _collection(model: Model, spec: Table, lk: Lookup, target: str) -> str | None:
    """The collection-valued navigation the referenced table declares for this lookup."""
    if target not in model.entities:
        return None
    for nav in model.entity(target).navs:
        if nav.many and nav.target == spec.entity.name and nav.fk == lk.column:
            return nav.name
    return None
