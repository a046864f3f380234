"""The criteria of match-based coupling (§3.2) and the search for one CRM row that
matches an ERP row on them, shared by match-based coupling and the implicit matches a
synchronization makes before it creates a row."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from . import transforms
from .context import Context
from .errors import MappingError
from .model import Condition, Direction, FieldMapping, Op, Ref, Row, TableMapping
from .transfer import reference_key


def criteria(mapping: TableMapping, fields: Sequence[str] | None = None) -> list[FieldMapping]:
    """The field mappings to match on, sorted by priority (MappingError when there are none)."""
    chosen = [
        fm
        for fm in mapping.fields
        if fm.enabled
        and not fm.is_constant
        and (fm.erp_field in fields if fields is not None else fm.use_for_matching)
    ]
    if not chosen:
        raise MappingError(
            f"Mapping {mapping.name}: specify the fields to match on for match-based coupling"
        )
    return sorted(chosen, key=lambda fm: fm.match_priority)


def criteria_groups(
    mapping: TableMapping, fields: Sequence[str] | None = None
) -> list[list[FieldMapping]]:
    """The criteria in groups of equal priority, lowest priority number first."""
    return [list(g) for _, g in groupby(criteria(mapping, fields), lambda f: f.match_priority)]


def find_match(
    ctx: Context,
    mapping: TableMapping,
    groups: list[list[FieldMapping]],
    row: Row,
    claimed: set[str],
) -> str | None:
    for group in groups:
        conditions = _conditions(ctx, group, row)
        if conditions is None:
            continue  # a referenced row is not coupled yet: nothing in the CRM can match
        if not conditions:
            continue  # every criterion of this group is blank: it cannot tell rows apart
        first = next(
            ctx.crm.query(
                mapping.crm_table, filters=mapping.crm_filter + tuple(conditions), page_size=2
            ),
            [],
        )
        found = [r for r in first if _exact(group, row, r)]
        if len(first) > 1 or len(found) != 1:
            continue
        crm_id = found[0].id
        if crm_id in claimed or ctx.state.couplings_by_crm(mapping.name, [crm_id]):
            continue
        return crm_id
    return None


def _value(fm: FieldMapping, row: Row) -> object:
    value = row.values.get(fm.erp_field or "")
    if fm.transform is not None and fm.transforms_in(Direction.ERP_TO_CRM):
        value = transforms.apply(fm.transform, value)
    return value


def _conditions(ctx: Context, group: list[FieldMapping], row: Row) -> list[Condition] | None:
    """The CRM conditions of one criteria group; None when a reference cannot be translated."""
    conditions = []
    for fm in group:
        value = _value(fm, row)
        if fm.lookup is not None:
            # References differ by side: a lookup matches the CRM row coupled to its ERP row
            # (a unit matches by name within its own unit group).
            key = reference_key(value)
            if key is None:
                continue
            crm_id = next(
                (
                    c.crm_id
                    for name in fm.related
                    for c in ctx.state.couplings_by_erp(name, [key]).values()
                ),
                None,
            )
            if crm_id is None:
                return None
            conditions.append(Condition(fm.crm_field or "", Op.EQ, crm_id))
            continue
        if value is None or value == "" or isinstance(value, Ref):
            continue  # blank values give no condition; references differ by side
        op = Op.IEQ if isinstance(value, str) and not fm.case_sensitive_matching else Op.EQ
        conditions.append(Condition(fm.crm_field or "", op, value))
    return conditions


def _exact(group: list[FieldMapping], erp: Row, crm: Row) -> bool:
    """Case-sensitive criteria, checked again in case the CRM compares without case."""
    return all(
        crm.values.get(fm.crm_field or "") == _value(fm, erp)
        for fm in group
        if fm.case_sensitive_matching and isinstance(_value(fm, erp), str) and _value(fm, erp)
    )
