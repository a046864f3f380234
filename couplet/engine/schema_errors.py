"""Schema errors a person can act on: which file, which key (as a path such as
`mapping[3].fields[2].direction`, indexes from 0) and, for TOML text, which line.

tomllib keeps no positions, so the line is found again in the text by following the path
through `[[mapping]]` / `[document.<name>]` headers, keys and array elements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from .errors import MappingError

Loc = Sequence[int | str]


def path_of(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _what(error: Mapping[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "bool_type":
        quoted = " (quotes make it a string)" if isinstance(value, str) else ""
        return f"must be true or false, not {value!r}{quoted}"
    return f"{error['msg']} (got {value!r})"


def mapping_error(
    exc: ValidationError,
    source: str,
    *,
    prefix: Loc = (),
    text: str | None = None,
    document: Mapping[str, Any] | None = None,
) -> MappingError:
    """The MappingError for the first schema error in `exc` (the others follow counted),
    naming the source, the key's path, the line in TOML `text` and the mapping's name."""
    errors = exc.errors()
    first = errors[0]
    loc: list[int | str] = [*prefix, *first["loc"]]
    where = source
    if text is not None:
        # A missing key has no line of its own: point at what should hold it.
        line = toml_line(text, loc[:-1] if first["type"] == "missing" else loc)
        if line is not None:
            where += f", line {line}"
    name = document.get("name") if isinstance(document, Mapping) else None
    mapping = f" (mapping {name})" if isinstance(name, str) and name else ""
    message = f"{where}: {path_of(loc)}{mapping}: {_what(first)}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return MappingError(message)


# -- finding a path in TOML text -------------------------------------------------------------

_HEADER = re.compile(r"(?m)^[ \t]*\[")


def toml_line(text: str, loc: Loc) -> int | None:
    """The 1-based line of the key or element at `loc`, as near as the text allows."""
    if len(loc) < 2:
        return None
    head, rest = loc[0], list(loc[2:])
    if head == "mapping" and isinstance(loc[1], int):
        found = list(re.finditer(r"(?m)^[ \t]*\[\[[ \t]*mapping[ \t]*\]\]", text))
        if loc[1] >= len(found):
            return None
        start = found[loc[1]].start()
    elif head == "document" and isinstance(loc[1], str):
        header = re.search(rf"(?m)^[ \t]*\[[ \t]*document\.\"?{re.escape(loc[1])}\"?[ \t]*\]", text)
        if header is None:
            return None
        start = header.start()
    else:
        return None
    nxt = _HEADER.search(text, text.index("\n", start) + 1 if "\n" in text[start:] else len(text))
    end = nxt.start() if nxt else len(text)
    at = start
    for part in rest:
        if isinstance(part, str):
            key = re.compile(rf"(?:^|[{{,\s])\"?({re.escape(part)})\"?[ \t]*=", re.M)
            match = key.search(text, at, end)
            if match is None:
                break
            at = match.start(1)
        else:
            element = _element(text, at, end, part)
            if element is None:
                break
            at = element
    return text.count("\n", 0, at) + 1


def _element(text: str, at: int, end: int, index: int) -> int | None:
    """Where the `index`-th element of the array that follows the key at `at` starts."""
    i = text.find("[", at, end)
    if i < 0:
        return None
    depth, count, expecting = 0, -1, False
    while i < end:
        c = text[i]
        if c in "\"'":
            if expecting:
                count, expecting = count + 1, False
                if count == index:
                    return i
            i = _string_end(text, i)
            continue
        if c == "#":
            i = text.find("\n", i)
            i = end if i < 0 else i
            continue
        if c in "[{":
            depth += 1
            if depth == 2 and expecting:
                count, expecting = count + 1, False
                if count == index:
                    return i
            if depth == 1:
                expecting = True
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return None
        elif c == "," and depth == 1:
            expecting = True
        elif not c.isspace() and depth == 1 and expecting:
            count, expecting = count + 1, False
            if count == index:
                return i
        i += 1
    return None


def _string_end(text: str, i: int) -> int:
    quote = text[i]
    i += 1
    while i < len(text) and text[i] != quote:
        i += 2 if quote == '"' and text[i] == "\\" else 1
    return i + 1
