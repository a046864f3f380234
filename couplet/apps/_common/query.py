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
from .model import Conventions, EntityDef, FieldType
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


_TEXT = (FieldType.STRING, FieldType.MEMO)
_ORDERING = (odata_ast.Lt, odata_ast.LtE, odata_ast.Gt, odata_ast.GtE)
_SUBSTRING = {"contains": "icontains", "startswith": "istartswith", "endswith": "iendswith"}


class _FilterVisitor(AstToSqlAlchemyCoreVisitor):
    """odata-query's Core visitor, restricted to the entity's visible properties and to the
    API's filter rules (`Conventions.filter_functions`, `case_insensitive_text`)."""

    def __init__(self, table: sa.Table, entity: EntityDef, conventions: Conventions | None) -> None:
        # odata-query annotates `table` as a class though it uses a Table instance.
        super().__init__(table)  # type: ignore[arg-type]
        self.columns = table.c
        self.entity = entity
        self.functions = conventions.filter_functions if conventions else None
        self.fold_case = bool(conventions and conventions.case_insensitive_text)

    def visit_Call(self, node: odata_ast.Call) -> Any:
        name = node.func.name
        if self.functions is not None and name not in self.functions:
            raise bad_request(
                f"The function '{name}' is not supported in $filter. Supported functions: "
                f"{', '.join(sorted(self.functions))}."
            )
        if self.fold_case and name in _SUBSTRING and len(node.args) == 2:
            field, text = node.args
            if isinstance(field, odata_ast.Identifier) and isinstance(text, odata_ast.String):
                # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite; % and _ match literally.
                column = self.visit(field)
                return getattr(column, _SUBSTRING[name])(text.val, autoescape=True)
        return super().visit_Call(node)

    def visit_Compare(self, node: odata_ast.Compare) -> Any:
        left, right, comparator = node.left, node.right, node.comparator
        if isinstance(comparator, _ORDERING) and (
            isinstance(left, odata_ast.Null) or isinstance(right, odata_ast.Null)
        ):
            return self._ordered_with_null(left, right, comparator)
        if (
            self.fold_case
            and isinstance(comparator, odata_ast.Eq | odata_ast.NotEq | odata_ast.In)
            and (self._is_text(left) or self._is_text(right))
        ):
            lower_left, lower_right = self._lower(left), self._lower(right)
            if isinstance(comparator, odata_ast.In):
                return lower_left.in_(lower_right)
            if isinstance(comparator, odata_ast.Eq):
                return lower_left == lower_right
            return lower_left != lower_right
        return super().visit_Compare(node)

    def _ordered_with_null(
        self, left: odata_ast._Node, right: odata_ast._Node, comparator: odata_ast._Node
    ) -> Any:
        """OData: an ordering comparison with null is false, except that `ge`/`le` hold
        when both sides are null (null equals null)."""
        if not isinstance(comparator, odata_ast.LtE | odata_ast.GtE):
            return sa.false()
        other = right if isinstance(left, odata_ast.Null) else left
        if isinstance(other, odata_ast.Null):
            return sa.true()
        return self.visit(other).is_(None)

    def _is_text(self, node: odata_ast._Node) -> bool:
        if not isinstance(node, odata_ast.Identifier):
            return False
        f = self.entity.field(node.name)
        return f is not None and f.type in _TEXT

    def _lower(self, node: odata_ast._Node) -> Any:
        if isinstance(node, odata_ast.String):
            return sa.literal(node.val.lower())
        if isinstance(node, odata_ast.List):
            return [self._lower(item) for item in node.val]
        value = self.visit(node)
        return sa.func.lower(value) if isinstance(node, odata_ast.Identifier) else value

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

    def visit_CollectionLambda(self, node: odata_ast.CollectionLambda) -> Any:
        raise bad_request("Lambda operators (any/all) are not supported.")


_lexer = ODataLexer()
_parser = ODataParser()


def filter_condition(
    text: str, table: sa.Table, entity: EntityDef, conventions: Conventions | None = None
) -> sa.ColumnElement[bool]:
    try:
        tree = _parser.parse(_lexer.tokenize(text))
        result: sa.ColumnElement[bool] = _FilterVisitor(table, entity, conventions).visit(tree)
    except ODataError:
        raise
    except odata_exc.ODataException as exc:
        raise bad_request(f"Invalid $filter expression: {exc}") from None
    except (NotImplementedError, TypeError, ValueError, AttributeError) as exc:
        raise bad_request(f"Invalid $filter expression '{text}': {exc}") from None
    return result
