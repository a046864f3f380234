"""OData query options: parsing `$select`, `$filter`, `$orderby`, `$top`, `$expand`, `$count`.

`$filter` is parsed by odata-query and translated to a SQLAlchemy Core condition against the
entity's table, with property names checked against the metadata so that unknown or hidden
properties answer 400 instead of leaking.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from odata_query import ast as odata_ast
from odata_query import exceptions as odata_exc
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.sqlalchemy.core import AstToSqlAlchemyCoreVisitor

from .errors import ODataError, bad_request
from .model import EntityDef
from .types import UTCDateTime

_SUPPORTED = {
    "$select",
    "$filter",
    "$orderby",
    "$top",
    "$expand",
    "$count",
    "$skiptoken",
    "$deltatoken",
    "$skip",
    "$apply",
    "$search",
    "$format",
    "$levels",
}


@dataclass
class QueryOptions:
    select: list[str] | None = None
    filter: str | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (name, descending)
    top: int | None = None
    expand: list[ExpandOption] = field(default_factory=list)
    count: bool = False
    skiptoken: str | None = None
    deltatoken: str | None = None


@dataclass
class ExpandOption:
    nav: str
    options: QueryOptions


def split_top_level(text: str, sep: str) -> list[str]:
    """Splits on `sep` outside parentheses and quoted strings (for `$expand` and `$orderby`)."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_options(
    params: Mapping[str, str],
    entity: EntityDef,
    *,
    nested: bool = False,
    max_top: int | None = None,
) -> QueryOptions:
    opts = QueryOptions()
    for name in params:
        if name.startswith("$") and name not in _SUPPORTED:
            raise bad_request(f"The query parameter {name} is not supported")
    if "$skip" in params:
        raise bad_request("The query parameter $skip is not supported")
    for unsupported in ("$apply", "$search", "$levels"):
        if unsupported in params:
            raise bad_request(f"The query parameter {unsupported} is not supported")
    if "$select" in params:
        opts.select = [s.strip() for s in params["$select"].split(",") if s.strip()]
        for name in opts.select:
            _check_property(entity, name)
    if "$filter" in params:
        opts.filter = params["$filter"]
    if "$orderby" in params:
        for part in split_top_level(params["$orderby"], ","):
            words = part.split()
            if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
                raise bad_request(f"Invalid $orderby expression '{part}'.")
            _check_property(entity, words[0])
            opts.orderby.append((words[0], len(words) == 2 and words[1] == "desc"))
    if "$top" in params:
        raw = params["$top"]
        if not raw.isdigit():
            raise bad_request(f"Invalid value '{raw}' for $top query option found.")
        opts.top = int(raw)
        if max_top is not None and opts.top > max_top:
            opts.top = max_top
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise bad_request("Invalid value for $count: expected true or false.")
        if nested and params["$count"] == "true":
            raise bad_request("The query parameter $count is not supported in $expand")
        opts.count = params["$count"] == "true"
    if "$expand" in params:
        opts.expand = [
            _parse_expand(part, entity) for part in split_top_level(params["$expand"], ",")
        ]
        if nested and opts.expand:
            raise bad_request("Nested $expand is not supported by this service.")
    opts.skiptoken = params.get("$skiptoken")
    opts.deltatoken = params.get("$deltatoken")
    return opts


def _parse_expand(part: str, entity: EntityDef) -> ExpandOption:
    name, _, rest = part.partition("(")
    name = name.strip()
    nav = entity.nav(name)
    if nav is None:
        raise bad_request(f"Could not find a property named '{name}' on type '{entity.name}'.")
    params: dict[str, str] = {}
    if rest:
        if not rest.endswith(")"):
            raise bad_request(f"Invalid $expand expression '{part}'.")
        for opt in split_top_level(rest[:-1], ";"):
            key, eq, value = opt.partition("=")
            if not eq:
                raise bad_request(f"Invalid $expand option '{opt}'.")
            params[key.strip()] = value.strip()
    return ExpandOption(nav=name, options=_nested_options(params, nav.target, entity))


def _nested_options(params: dict[str, str], target: str, entity: EntityDef) -> QueryOptions:
    # The target's metadata is resolved by the caller (it may live in another model slot);
    # here we only parse the syntax and keep the raw values for later validation.
    opts = QueryOptions()
    for key in params:
        if key not in ("$select", "$filter", "$orderby", "$top"):
            raise bad_request(f"The query parameter {key} is not supported in $expand")
    if "$select" in params:
        opts.select = [s.strip() for s in params["$select"].split(",") if s.strip()]
    if "$filter" in params:
        opts.filter = params["$filter"]
    if "$orderby" in params:
        for p in split_top_level(params["$orderby"], ","):
            words = p.split()
            opts.orderby.append((words[0], len(words) == 2 and words[1] == "desc"))
    if "$top" in params:
        if not params["$top"].isdigit():
            raise bad_request("Invalid value for $top in $expand.")
        opts.top = int(params["$top"])
    return opts


def _check_property(entity: EntityDef, name: str) -> None:
    f = entity.field(name)
    if f is None or f.hidden:
        raise bad_request(
            f"Could not find a property named '{name}' on type '{entity.namespace}.{entity.name}'.",
            target=name,
        )


def check_nested(opts: QueryOptions, target: EntityDef) -> None:
    for name in opts.select or []:
        _check_property(target, name)
    for name, _ in opts.orderby:
        _check_property(target, name)


class _FilterVisitor(AstToSqlAlchemyCoreVisitor):
    """odata-query's Core visitor, restricted to the entity's visible properties."""

    def __init__(self, table: sa.Table, entity: EntityDef) -> None:
        # odata-query annotates `table` as a class though it uses a Table instance.
        super().__init__(table)  # type: ignore[arg-type]
        self.columns = table.c
        self.entity = entity

    def visit_Identifier(self, node: odata_ast.Identifier) -> Any:
        _check_property(self.entity, node.name)
        return self.columns[node.name]

    def visit_Attribute(self, node: odata_ast.Attribute) -> Any:
        raise bad_request("Filtering on properties of related records is not supported.")

    def visit_GUID(self, node: odata_ast.GUID) -> Any:
        return sa.literal(str(uuid.UUID(node.val)))

    def visit_DateTime(self, node: odata_ast.DateTime) -> Any:
        value: dt.datetime = node.py_val
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return sa.literal(value, UTCDateTime())

    def visit_Compare(self, node: odata_ast.Compare) -> Any:
        # OData compares with null without failing: `lt`/`gt` with a null operand are
        # false, `le`/`ge` true only when both are null; `eq`/`ne` are IS [NOT] NULL.
        nulls = [isinstance(side, odata_ast.Null) for side in (node.left, node.right)]
        ordering = (odata_ast.Lt, odata_ast.LtE, odata_ast.Gt, odata_ast.GtE)
        if not any(nulls) or not isinstance(node.comparator, ordering):
            return super().visit_Compare(node)
        if isinstance(node.comparator, odata_ast.Lt | odata_ast.Gt):
            return sa.false()
        if all(nulls):
            return sa.true()
        return self.visit(node.right if nulls[0] else node.left).is_(None)

    def visit_CollectionLambda(self, node: odata_ast.CollectionLambda) -> Any:
        raise bad_request("Lambda operators (any/all) are not supported.")


_lexer = ODataLexer()
_parser = ODataParser()


def filter_condition(text: str, table: sa.Table, entity: EntityDef) -> sa.ColumnElement[bool]:
    try:
        tree = _parser.parse(_lexer.tokenize(text))
        result: sa.ColumnElement[bool] = _FilterVisitor(table, entity).visit(tree)
    except ODataError:
        raise
    except odata_exc.ODataException as exc:
        raise bad_request(f"Invalid $filter expression: {exc}") from None
    except (NotImplementedError, TypeError, ValueError, AttributeError) as exc:
        raise bad_request(f"Invalid $filter expression '{text}': {exc}") from None
    return result
