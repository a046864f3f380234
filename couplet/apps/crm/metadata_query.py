"""`$filter`, `$select` and `$expand` over metadata definitions (plain dicts), the way
Dataverse's metadata API takes them: `LogicalName eq 'account' or EntitySetName eq 'contacts'`,
`RequiredLevel/Value eq 'ApplicationRequired'`, enum literals such as
`Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'` (docs/protocols.md §A14)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from odata_query import ast
from odata_query import exceptions as odata_exc
from odata_query.grammar import ODataLexer, ODataParser

from .._common.errors import bad_request
from .._common.query import split_top_level

_ENUM_LITERAL = re.compile(r"Microsoft\.Dynamics\.CRM\.\w+('(?:[^']|'')*')")
_ORDER: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


@dataclass
class Options:
    """The query options of one metadata resource (top level or inside `$expand=X(...)`)."""

    filter: ast._Node | None = None
    select: list[str] | None = None
    expand: dict[str, Options] = field(default_factory=dict)


def parse(params: Mapping[str, str]) -> Options:
    opts = Options()
    if params.get("$filter"):
        opts.filter = _parse_filter(params["$filter"])
    if params.get("$select"):
        opts.select = [s.strip() for s in params["$select"].split(",") if s.strip()]
    for part in split_top_level(params.get("$expand", ""), ","):
        name, _, rest = part.partition("(")
        nested: dict[str, str] = {}
        for option in split_top_level(rest.removesuffix(")"), ";"):
            key, _, value = option.partition("=")
            nested[key.strip()] = value.strip()
        opts.expand[name.strip()] = parse(nested)
    return opts


def _parse_filter(text: str) -> ast._Node:
    try:
        node: ast._Node = ODataParser().parse(ODataLexer().tokenize(_ENUM_LITERAL.sub(r"\1", text)))
    except odata_exc.ODataException as exc:
        raise bad_request(f"The $filter expression is not valid: {exc}") from None
    return node


def matches(node: ast._Node | None, item: Mapping[str, Any], type_name: str) -> bool:
    return node is None or bool(_value(node, item, type_name))


def _value(node: ast._Node, item: Mapping[str, Any], type_name: str) -> Any:
    match node:
        case ast.BoolOp(op=ast.And(), left=left, right=right):
            return _value(left, item, type_name) and _value(right, item, type_name)
        case ast.BoolOp(op=ast.Or(), left=left, right=right):
            return _value(left, item, type_name) or _value(right, item, type_name)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _value(operand, item, type_name)
        case ast.Compare(comparator=comparator, left=left, right=right):
            a = _normal(_value(left, item, type_name))
            b = _normal(_value(right, item, type_name))
            if isinstance(comparator, ast.Eq | ast.NotEq):
                return (a == b) == isinstance(comparator, ast.Eq)
            if type(comparator) not in _ORDER:
                raise bad_request("Only eq, ne, lt, le, gt and ge compare metadata properties.")
            return a is not None and b is not None and _ORDER[type(comparator)](a, b)
        case ast.Identifier(name=name):
            if name not in item:
                raise _unknown(name, type_name)
            return item[name]
        case ast.Attribute(owner=owner, attr=attr):
            parent = _value(owner, item, type_name)
            return parent.get(attr) if isinstance(parent, dict) else None
        case ast.Boolean(val=val):
            return val == "true"
        case ast.Integer(val=val):
            return int(val)
        case ast.String(val=val) | ast.GUID(val=val):
            return val
        case ast.Null():
            return None
    raise bad_request("This $filter expression is not supported on metadata.")


def _normal(value: Any) -> Any:
    # GUIDs compare without regard to case, as Dataverse parses them.
    return value.lower() if isinstance(value, str) and len(value) == 36 else value


def _unknown(name: str, type_name: str) -> Exception:
    return bad_request(
        f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{type_name}'."
    )


def project(item: dict[str, Any], opts: Options, type_name: str) -> dict[str, Any]:
    """`$select`: the named properties, plus the id and type Dataverse always returns, and
    the expanded navigation properties."""
    if opts.select is None:
        return item
    for name in opts.select:
        if name not in item:
            raise _unknown(name, type_name)
    keep = {"@odata.type", "MetadataId", *opts.select, *opts.expand}
    return {k: v for k, v in item.items() if k in keep}
