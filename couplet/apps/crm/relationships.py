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

import re
import uuid
from collections.abc import Callable
from typing import Any

from odata_query import ast as odata_ast
from odata_query import exceptions as odata_exc
from odata_query.grammar import ODataLexer, ODataParser

from .._common.errors import ODataError, bad_request
from .._common.http import Reply, Request
from .._common.model import Model
from .schema import Lookup, Table

_PATH = re.compile(
    r"^EntityDefinitions\(LogicalName='(?P<entity>\w+)'\)/"
    r"(?P<kind>ManyToOneRelationships|OneToManyRelationships)$"
)
PROPERTIES = (
    "MetadataId",
    "SchemaName",
    "RelationshipType",
    "ReferencedEntity",
    "ReferencedAttribute",
    "ReferencingEntity",
    "ReferencingAttribute",
    "ReferencedEntityNavigationPropertyName",
    "ReferencingEntityNavigationPropertyName",
    "IsCustomRelationship",
)
_NAMESPACE = uuid.UUID("5b0e9a52-6f3c-4f59-9a39-3c1f0e0d5a10")


def handles(path: str) -> bool:
    return _PATH.match(path.strip("/")) is not None


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


def answer(model: Model, tables: dict[str, Table], req: Request) -> Reply:
    match = _PATH.match(req.path.strip("/"))
    assert match is not None
    name, kind = match.group("entity"), match.group("kind")
    if name not in model.entities:
        raise ODataError(404, f"Could not find an entity with the name '{name}'.", "0x80040217")
    side = "ReferencingEntity" if kind == "ManyToOneRelationships" else "ReferencedEntity"
    rows = [r for r in relationships(model, tables) if r[side] == name]
    for option in req.query:
        if option.startswith("$") and option not in ("$select", "$filter"):
            raise bad_request(f"The query parameter {option} is not supported")
    if "$filter" in req.query:
        keep = _predicate(req.query["$filter"])
        rows = [r for r in rows if keep(r)]
    select = None
    if "$select" in req.query:
        select = [s.strip() for s in req.query["$select"].split(",") if s.strip()]
        for prop in select:
            if prop not in PROPERTIES:
                raise bad_request(
                    f"Could not find a property named '{prop}' on type "
                    "'Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata'."
                )
        # Dataverse always returns the MetadataId with a selection.
        rows = [{k: r[k] for k in ("MetadataId", *select)} for r in rows]
    suffix = f"({','.join(select)})" if select else ""
    context = f"{req.base_url}$metadata#EntityDefinitions('{name}')/{kind}{suffix}"
    return Reply(200, {"@odata.context": context, "value": rows})


_lexer = ODataLexer()
_parser = ODataParser()
Predicate = Callable[[dict[str, Any]], bool]


def _predicate(text: str) -> Predicate:
    """`$filter` over relationship properties: `eq`/`ne` with strings or booleans, combined
    with `and`, `or`, `not` and parentheses — what clients ask of these definitions."""
    try:
        tree = _parser.parse(_lexer.tokenize(text))
    except odata_exc.ODataException as exc:
        raise bad_request(f"Invalid $filter expression: {exc}") from None
    return _compile(tree)


def _compile(node: odata_ast._Node) -> Predicate:
    if isinstance(node, odata_ast.BoolOp):
        left, right = _compile(node.left), _compile(node.right)
        if isinstance(node.op, odata_ast.And):
            return lambda r: left(r) and right(r)
        return lambda r: left(r) or right(r)
    if isinstance(node, odata_ast.UnaryOp) and isinstance(node.op, odata_ast.Not):
        inner = _compile(node.operand)
        return lambda r: not inner(r)
    if isinstance(node, odata_ast.Compare) and isinstance(
        node.comparator, odata_ast.Eq | odata_ast.NotEq
    ):
        prop, value = _operands(node)
        if isinstance(node.comparator, odata_ast.Eq):
            return lambda r: r.get(prop) == value
        return lambda r: r.get(prop) != value
    raise bad_request("Only eq and ne comparisons are supported on relationship definitions.")


def _operands(node: odata_ast.Compare) -> tuple[str, object]:
    left, right = node.left, node.right
    if not isinstance(left, odata_ast.Identifier):
        left, right = right, left
    if not isinstance(left, odata_ast.Identifier) or left.name not in PROPERTIES:
        raise bad_request("A relationship filter compares a relationship property to a value.")
    if isinstance(right, odata_ast.String):
        return left.name, right.val
    if isinstance(right, odata_ast.Boolean):
        return left.name, right.val == "true"
    if isinstance(right, odata_ast.Null):
        return left.name, None
    raise bad_request(f"Invalid value for '{left.name}' in $filter.")
