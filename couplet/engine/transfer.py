"""Field transfer: the values a source row gives its destination in one pass (§2.4 step 6).

For each enabled field mapping of the pass: constants, transformation rules, and references
translated through couplings — a lookup (`FieldMapping.lookup`) through the couplings of
the related mapping, an option (`FieldMapping.option`) through an option mapping's
couplings, which pair ERP row ids with CRM choice values. All the references of a page
are translated with one state call per related mapping (`Translations.load`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from . import transforms
from .errors import RecordError
from .model import Direction, FieldMapping, Ref, Row, Side, TableMapping
from .ports import StatePort


def reference_key(value: object) -> str | None:
    """The id a reference value points at on its own side (None: no reference)."""
    if isinstance(value, Ref):
        return value.id or None
    if value is None or value == "":
        return None
    return str(value)


@dataclass(frozen=True)
class Translations:
    """Source-side ids translated to destination-side ids, per related mapping."""

    found: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # related mapping -> the CRM id that stands for a blank ERP reference (Business Central's
    # blank currency code is the local currency, a real currency row in the CRM).
    blanks: Mapping[str, str] = field(default_factory=dict)
    # Values a table's own rules add for a source row (see `table_rules`), and the reason a
    # row cannot be transferred, by source row id.
    extra: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    refused: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def load(
        state: StatePort,
        mapping: TableMapping,
        pass_direction: Direction,
        rows: Iterable[Row],
        blanks: Mapping[str, str] | None = None,
    ) -> Translations:
        source = pass_direction.source
        wanted: dict[str, set[str]] = {}
        rows = list(rows)
        for fm in mapping.fields_for(pass_direction):
            name = fm.field_on(source)
            if name is None:
                continue
            given = {reference_key(row.values.get(name)) for row in rows}
            for related in fm.related:
                wanted.setdefault(related, set()).update(k for k in given if k is not None)
        found: dict[tuple[str, str], str] = {}
        for related, keys in wanted.items():
            if not keys:
                continue
            if source is Side.ERP:
                for key, c in state.couplings_by_erp(related, sorted(keys)).items():
                    found[(related, key)] = c.crm_id
            else:
                for key, c in state.couplings_by_crm(related, sorted(keys)).items():
                    found[(related, key)] = c.erp_id
        return Translations(found, dict(blanks or {}))

    def get(self, related: str, key: str) -> str | None:
        return self.found.get((related, key))

    def translate(self, fm: FieldMapping, key: str) -> tuple[str, str] | None:
        """(related mapping, destination id) of a reference, trying each related mapping."""
        for related in fm.related:
            found = self.found.get((related, key))
            if found is not None:
                return related, found
        return None


@dataclass(frozen=True)
class Transfer:
    """The destination values of one source row, and which of them are bidirectional."""

    values: Mapping[str, object]
    bidirectional: frozenset[str]


def transfer(
    mapping: TableMapping,
    pass_direction: Direction,
    source: Row,
    translations: Translations,
    catalogue: Mapping[str, TableMapping],
) -> Transfer:
    """The values `source` gives its destination; RecordError names what blocks it."""
    values: dict[str, object] = {}
    bidirectional: set[str] = set()
    destination = pass_direction.destination
    refused = translations.refused.get(source.id)
    if refused:
        raise RecordError(refused)
    for fm in mapping.fields_for(pass_direction):
        target = fm.field_on(destination)
        assert target is not None  # a constant's direction points at its field (validated)
        if fm.is_constant:
            value: object = fm.constant
        else:
            name = fm.field_on(pass_direction.source)
            assert name is not None
            value = source.values.get(name)
            if fm.related:
                value = _translate(fm, name, value, pass_direction, translations, catalogue)
                if fm.not_null and _is_null(value):
                    continue  # Not Null: a blank reference never overwrites the destination
            elif fm.transforms_in(pass_direction):
                assert fm.transform is not None
                value = transforms.apply(fm.transform, value)
        values[target] = value
        if fm.direction is Direction.BIDIRECTIONAL:
            bidirectional.add(target)
    values.update(translations.extra.get(source.id, {}))
    return Transfer(values, frozenset(bidirectional))


def _translate(
    fm: FieldMapping,
    name: str,
    value: object,
    pass_direction: Direction,
    translations: Translations,
    catalogue: Mapping[str, TableMapping],
) -> object:
    related_name = fm.related[0]
    related = catalogue[related_name]
    destination = pass_direction.destination
    key = reference_key(value)
    blank = translations.blanks.get(related_name)
    if blank is not None and destination is Side.CRM and key is None:
        return Ref(related.table_on(destination), blank)
    if blank is not None and destination is Side.ERP and key == blank:
        return Ref(related.table_on(destination), None)
    hit = translations.translate(fm, key) if key is not None else None
    translated = hit[1] if hit else None
    if hit is not None:
        related = catalogue[hit[0]]
    if key is not None and translated is None and not fm.clear_on_failed_sync:
        shown = (value.label or value.id) if isinstance(value, Ref) else value
        raise RecordError(
            f"{name} {shown} must be coupled to a record in {destination.system_name}"
        )
    if fm.option is not None and destination is Side.CRM:
        # CRM choice values are numbers; option couplings keep them as text.
        if translated is None:
            return None
        return int(translated) if translated.lstrip("-").isdigit() else translated
    return Ref(related.table_on(destination), translated)


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, Ref) and value.id is None)


def same_value(a: object, b: object) -> bool:
    """Whether writing `a` over `b` would change nothing a person could see.

    References compare by id, numbers by value, and blank text equals no value (the ERP
    has no nulls in text fields where the CRM has them).
    """
    if isinstance(a, Ref) or isinstance(b, Ref):
        return reference_key(a) == reference_key(b)
    if a in (None, "") and b in (None, ""):
        return True
    numbers = (int, float, Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def differences(values: Mapping[str, object], current: Mapping[str, object]) -> dict[str, object]:
    """The values that would change the destination row."""
    return {k: v for k, v in values.items() if not same_value(v, current.get(k))}
