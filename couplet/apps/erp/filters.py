"""The v2.0 `$filter` restriction: `or` may only combine conditions on one field
(docs/protocols.md §B6: "The 'OR' operator is not supported on distinct fields on an OData
filter.")."""

from __future__ import annotations

from typing import Any

from odata_query import ast as odata_ast
from odata_query import exceptions as odata_exc
from odata_query.grammar import ODataLexer, ODataParser

from .._common.errors import bad_request

_lexer = ODataLexer()
_parser = ODataParser()
MESSAGE = "The 'OR' operator is not supported on distinct fields on an OData filter."


def _fields(node: Any) -> set[str]:
    if isinstance(node, odata_ast.Identifier):
        return {node.name}
    found: set[str] = set()
    for value in getattr(node, "__dict__", {}).values():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, odata_ast._Node):
                found |= _fields(item)
    return found


def _check(node: Any) -> None:
    is_or = isinstance(node, odata_ast.BoolOp) and isinstance(node.op, odata_ast.Or)
    if is_or and len(_fields(node)) > 1:
        raise bad_request(MESSAGE)
    for value in getattr(node, "__dict__", {}).values():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, odata_ast._Node):
                _check(item)


def check_filter(text: str | None) -> None:
    if not text:
        return
    try:
        tree = _parser.parse(_lexer.tokenize(text))
    except odata_exc.ODataException:
        return  # the query layer reports syntax errors with its own message
    _check(tree)
