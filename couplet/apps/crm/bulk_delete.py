"""Dataverse's `BulkDelete` action: `POST /api/data/v9.2/BulkDelete` with a `QuerySet` of
QueryExpressions; it answers `BulkDeleteResponse` `{"JobId": …}` (docs/protocols.md §A16).

Dataverse queues a bulk deletion job and deletes later; the reference CRM has no
asynchronous service, so its job is done before the answer. Of QueryExpression it takes
what a deletion by key or by value needs (conditions `Equal`, `NotEqual`, `In`, `Null`,
`NotNull` joined by `And` or `Or`); anything else is refused rather than half understood.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from .._common.errors import bad_request
from .._common.http import Reply, Request
from .._common.model import EntityDef
from .._common.operations import require_privilege
from .._common.records import Tx
from .._common.types import parse_guid
from .dataverse import DataverseDialect

# The parameters Dataverse declares non-nullable.
REQUIRED = (
    "QuerySet",
    "JobName",
    "SendEmailNotification",
    "ToRecipients",
    "CCRecipients",
    "RecurrencePattern",
    "StartDateTime",
)
_OPERATORS = {"Equal", "NotEqual", "In", "Null", "NotNull"}


def bulk_delete(tx: Tx, dialect: DataverseDialect, req: Request) -> Reply:
    body = req.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    missing = [name for name in REQUIRED if name not in body]
    if missing:
        raise bad_request(f"BulkDelete requires the parameter '{missing[0]}'.", target=missing[0])
    if body["RecurrencePattern"]:
        raise bad_request("Recurring bulk deletion jobs are not implemented.")
    queries = body["QuerySet"]
    if not isinstance(queries, list) or not queries:
        raise bad_request("QuerySet must be a non-empty array of QueryExpression.")
    # Everything is checked before anything is deleted.
    plans = [_plan(tx, q) for q in queries]
    for entity, keys in plans:
        require_privilege(tx, entity, "write")
        for key in keys:
            if tx.get(entity.name, key) is not None:  # matched by an earlier query
                tx.delete(entity.name, key)
    return Reply(
        200,
        {
            "@odata.context": f"{req.base_url}$metadata#Microsoft.Dynamics.CRM.BulkDeleteResponse",
            "JobId": str(uuid.uuid4()),
        },
    )


def _plan(tx: Tx, query: Any) -> tuple[EntityDef, list[str]]:
    """The table a QueryExpression names and the keys of its matching rows."""
    if not isinstance(query, dict) or not isinstance(query.get("EntityName"), str):
        raise bad_request("Each QuerySet item must be a QueryExpression with an EntityName.")
    name = query["EntityName"]
    if name not in tx.model.entities:
        raise bad_request(f"The entity with a name = '{name}' was not found in the MetadataCache.")
    entity = tx.model.entity(name)
    table = tx.model.table(name)
    criteria = query.get("Criteria") or {}
    if criteria.get("Filters"):
        raise bad_request("Nested FilterExpressions are not implemented for BulkDelete.")
    joiner = criteria.get("FilterOperator", "And")
    if joiner not in ("And", "Or"):
        raise bad_request(f"Invalid FilterOperator '{joiner}'.")
    clauses = [_condition(entity, table, c) for c in criteria.get("Conditions") or []]
    select = sa.select(table.c[entity.key])
    if clauses:
        select = select.where(sa.and_(*clauses) if joiner == "And" else sa.or_(*clauses))
    return entity, [str(k) for k in tx.conn.execute(select).scalars()]


def _condition(entity: EntityDef, table: sa.Table, condition: Any) -> sa.ColumnElement[bool]:
    if not isinstance(condition, dict):
        raise bad_request("Each condition must be a ConditionExpression.")
    attribute = str(condition.get("AttributeName"))
    operator = condition.get("Operator")
    if entity.field(attribute) is None or attribute not in table.c:
        raise bad_request(
            f"'{entity.name}' entity doesn't contain attribute with Name = '{attribute}'.",
            target=attribute,
        )
    if operator not in _OPERATORS:
        raise bad_request(f"The condition operator '{operator}' is not implemented for BulkDelete.")
    column = table.c[attribute]
    if operator == "Null":
        return column.is_(None)
    if operator == "NotNull":
        return column.is_not(None)
    values = [_value(v, attribute) for v in condition.get("Values") or []]
    if operator == "In":
        return column.in_(values)
    if len(values) != 1:
        raise bad_request(f"The condition operator '{operator}' takes one value.")
    # (SQL's comparison: a null column matches neither, as in Dataverse.)
    return sa.and_(column == values[0] if operator == "Equal" else column != values[0])


def _value(item: Any, attribute: str) -> Any:
    """A value of `Values`: `{"Value": …, "Type": "System.Guid"}` (the Web API form) or bare."""
    if isinstance(item, dict):
        value, kind = item.get("Value"), item.get("Type")
        return parse_guid(value, attribute) if kind == "System.Guid" else value
    return item
