"""Transformation rules: small, declarative changes applied to a value before transfer.

They mirror Business Central's transformation rules (the docs' example: "U.S." in the CRM
is "US" in the ERP). A rule is data (`Transform(kind, params)`) so mappings stay
exportable; `check` validates the parameters when a mapping is edited and `apply` runs it.
Text rules leave values that are not text (None, numbers, references) untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import MappingError
from .model import Transform

_ROUNDING = {"nearest": ROUND_HALF_UP, "up": ROUND_CEILING, "down": ROUND_FLOOR}
_LOOKUP_RULES = ("target", "original-if-target-blank")


def apply(transform: Transform, value: object) -> object:
    """The transformed value (the rule is assumed valid; see `check`)."""
    kind = _KINDS.get(transform.kind)
    if kind is None:
        raise MappingError(f"unknown transformation rule {transform.kind!r}")
    return kind(value, transform.params)


def check(transform: Transform) -> None:
    """Raises MappingError when the rule's kind or parameters are wrong."""
    if transform.kind not in _KINDS:
        known = ", ".join(sorted(_KINDS))
        raise MappingError(f"unknown transformation rule {transform.kind!r} (known: {known})")
    params = transform.params
    needs = _REQUIRED.get(transform.kind, ())
    missing = [name for name in needs if name not in params]
    if missing:
        raise MappingError(f"transformation rule {transform.kind!r} needs {', '.join(missing)}")
    if transform.kind == "regex-replace":
        try:
            re.compile(str(params["pattern"]))
        except re.error as exc:
            raise MappingError(
                f"regular expression {params['pattern']!r} is invalid: {exc}"
            ) from exc
    if transform.kind == "substring" and not ({"start", "start_text"} & params.keys()):
        raise MappingError("transformation rule 'substring' needs start or start_text")
    if transform.kind == "round":
        if params.get("direction", "nearest") not in _ROUNDING:
            raise MappingError(f"round direction must be one of {', '.join(_ROUNDING)}")
        _decimal(params.get("precision", "0.01"))
    if transform.kind == "minimum":
        _decimal(params.get("value", 0))
    if transform.kind == "field-lookup":
        if not isinstance(params["table"], Mapping):
            raise MappingError("transformation rule 'field-lookup' needs a table of values")
        if params.get("rule", "target") not in _LOOKUP_RULES:
            raise MappingError(f"field-lookup rule must be one of {', '.join(_LOOKUP_RULES)}")


def _text(func: Callable[[str, Mapping[str, object]], object]) -> Kind:
    def rule(value: object, params: Mapping[str, object]) -> object:
        return func(value, params) if isinstance(value, str) else value

    return rule


Kind = Callable[[object, Mapping[str, object]], object]


def _substring(value: str, params: Mapping[str, object]) -> str:
    # Positions are 1-based as in BC; start_text/end_text are the text just before/after
    # the part wanted, and a missing marker leaves that end open.
    if "start_text" in params:
        marker = str(params["start_text"])
        found = value.find(marker)
        start = found + len(marker) if found >= 0 else 0
    else:
        start = max(int(str(params.get("start", 1))) - 1, 0)
    rest = value[start:]
    if "length" in params:
        return rest[: int(str(params["length"]))]
    if "end_text" in params:
        found = rest.find(str(params["end_text"]))
        return rest[:found] if found >= 0 else rest
    return rest


def _decimal(raw: object) -> Decimal:
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise MappingError(f"{raw!r} is not a number") from exc


def _round(value: object, params: Mapping[str, object]) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    precision = _decimal(params.get("precision", "0.01"))
    rounding = _ROUNDING[str(params.get("direction", "nearest"))]
    steps = (Decimal(str(value)) / precision).quantize(Decimal(1), rounding=rounding)
    result = (steps * precision).quantize(precision) if precision < 1 else steps * precision
    return type(value)(result) if not isinstance(value, Decimal) else result


def _key_text(value: object) -> str:
    """How a value is named as a key of a lookup table written as data (TOML and JSON keys
    are text): booleans as true/false, numbers and text as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lookup(value: object, params: Mapping[str, object]) -> object:
    table = params["table"]
    assert isinstance(table, Mapping)
    target = table.get(value) if isinstance(value, str) else None
    if target is None and value is not None:
        target = table.get(_key_text(value))
    if params.get("rule", "target") == "original-if-target-blank" and target in (None, ""):
        return value
    return target


def _minimum(value: object, params: Mapping[str, object]) -> object:
    # Business Central sends a negative price or stock as 0: the CRM takes no negatives.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    floor = _decimal(params.get("value", 0))
    return value if Decimal(str(value)) >= floor else type(value)(floor)


_KINDS: dict[str, Kind] = {
    "trim": _text(lambda v, _: v.strip()),
    "upper": _text(lambda v, _: v.upper()),
    "lower": _text(lambda v, _: v.lower()),
    "title": _text(lambda v, _: " ".join(w[:1].upper() + w[1:] for w in v.split(" "))),
    "replace": _text(lambda v, p: v.replace(str(p["find"]), str(p.get("replace_with", "")))),
    "regex-replace": _text(
        lambda v, p: re.sub(str(p["pattern"]), str(p.get("replacement", "")), v)
    ),
    "substring": _text(_substring),
    "remove-non-alphanumeric": _text(lambda v, _: "".join(ch for ch in v if ch.isalnum())),
    "round": _round,
    "field-lookup": _lookup,
    "minimum": _minimum,
}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "replace": ("find",),
    "regex-replace": ("pattern",),
    "field-lookup": ("table",),
}
