"""Match-based coupling (§3.2): couple uncoupled ERP rows to the CRM rows whose criteria
fields hold the same values.

Criteria are the field mappings marked for matching (or the ERP fields a person names),
tried in groups of ascending priority; within a group every non-blank value must match
(text case-insensitively unless the field says otherwise). A group that finds exactly one
CRM row that nobody has coupled yet couples it; no match, several, or an already coupled
one leaves the row unmatched. Unmatched rows are then created in the CRM and coupled, or
reported; newly coupled rows can be synchronized straight away.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from . import transforms
from .context import Context
from .couplings import new_coupling
from .errors import MappingError
from .manual import create_in
from .model import (
    Condition,
    Coupling,
    Direction,
    FieldMapping,
    JobError,
    JobLog,
    JobType,
    Op,
    Ref,
    Row,
    Side,
    TableMapping,
    UpdateConflict,
)
from .runner import RunOptions, synchronize
from .transfer import reference_key


@dataclass
class MatchResult:
    job: JobLog
    coupled: dict[str, str] = field(default_factory=dict)  # erp id -> crm id
    unmatched: list[str] = field(default_factory=list)
    jobs: list[JobLog] = field(default_factory=list)  # create-new and sync-after runs


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


def match_and_couple(
    ctx: Context,
    name: str,
    *,
    erp_ids: Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
    create_new: bool | None = None,
    sync_after: bool | None = None,
) -> MatchResult:
    mapping = ctx.mapping(name)
    if mapping.option_mapping:
        # Options match by label; the option run couples them (and adds missing ones).
        [job] = synchronize(ctx, name, RunOptions(only_coupled=False))
        return MatchResult(job)
    groups = [list(g) for _, g in groupby(criteria(mapping, fields), lambda f: f.match_priority)]
    job = JobLog(ctx.ids(), name, mapping.direction, ctx.clock(), type=JobType.COUPLING)
    ctx.state.save_job(job)
    result = MatchResult(job)
    for page in _erp_rows(ctx, mapping, erp_ids):
        coupled = ctx.state.couplings_by_erp(name, [r.id for r in page])
        new: list[Coupling] = []
        for row in page:
            if row.id in coupled:
                continue  # already coupled rows are left alone; uncouple them first
            crm_id = _match(ctx, mapping, groups, row, set(result.coupled.values()))
            if crm_id is None:
                result.unmatched.append(row.id)
                continue
            result.coupled[row.id] = crm_id
            new.append(new_coupling(ctx.ids(), name, row.id, crm_id))
        if new:
            ctx.state.save_couplings(new)
    job.coupled = len(result.coupled)
    create = mapping.create_new_if_no_match if create_new is None else create_new
    if result.unmatched and create and mapping.direction is not Direction.CRM_TO_ERP:
        result.jobs += create_in(ctx, name, Side.CRM, result.unmatched)[0]
    elif result.unmatched:
        job.failed = len(result.unmatched)
        message = (
            f"Could not couple {len(result.unmatched)} record(s): no unique uncoupled match "
            f"found in {Side.CRM.system_name} with the given criteria."
        )
        job.message = message
        ctx.state.add_errors([JobError(job.id, name, None, None, message, ctx.clock())])
    job.finished_at = ctx.clock()
    ctx.state.save_job(job)
    if result.coupled and (mapping.sync_after_coupling if sync_after is None else sync_after):
        result.jobs += _sync_coupled(ctx, mapping, result.coupled)
    return result


def _erp_rows(
    ctx: Context, mapping: TableMapping, erp_ids: Sequence[str] | None
) -> Iterator[list[Row]]:
    if erp_ids is None:
        yield from ctx.erp.query(
            mapping.erp_table, filters=mapping.erp_filter, page_size=ctx.page_size
        )
        return
    for start in range(0, len(erp_ids), ctx.page_size):
        chunk = erp_ids[start : start + ctx.page_size]
        found = ctx.erp.get_many(mapping.erp_table, chunk)
        yield [found[i] for i in chunk if i in found]


def _match(
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
            coupling = ctx.state.couplings_by_erp(fm.lookup, [key]).get(key)
            if coupling is None:
                return None
            conditions.append(Condition(fm.crm_field or "", Op.EQ, coupling.crm_id))
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


def _sync_coupled(ctx: Context, mapping: TableMapping, pairs: dict[str, str]) -> list[JobLog]:
    direction = mapping.direction
    if direction is Direction.BIDIRECTIONAL:
        if mapping.update_conflict is UpdateConflict.GET_FROM_CRM:
            direction = Direction.CRM_TO_ERP
        elif mapping.update_conflict is UpdateConflict.SEND_TO_CRM:
            direction = Direction.ERP_TO_CRM
    passes = direction.passes
    options = RunOptions(
        direction=direction,
        force_modify=True,
        erp_ids=tuple(pairs) if Direction.ERP_TO_CRM in passes else None,
        crm_ids=tuple(pairs.values()) if Direction.CRM_TO_ERP in passes else None,
    )
    return synchronize(ctx, mapping.name, options)
