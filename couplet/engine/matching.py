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

from .context import Context
from .couplings import new_coupling
from .criteria import criteria_groups, find_match
from .manual import create_in
from .model import (
    Coupling,
    Direction,
    JobError,
    JobLog,
    JobType,
    Row,
    Side,
    TableMapping,
    UpdateConflict,
)
from .runner import RunOptions, synchronize


@dataclass
class MatchResult:
    job: JobLog
    coupled: dict[str, str] = field(default_factory=dict)  # erp id -> crm id
    unmatched: list[str] = field(default_factory=list)
    jobs: list[JobLog] = field(default_factory=list)  # create-new and sync-after runs


def match_and_couple(
    ctx: Context,
    name: str,
    *,
    erp_ids: Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
    create_new: bool | None = None,
    sync_after: bool | None = None,
    report_unmatched: bool = True,
) -> MatchResult:
    """`report_unmatched=False`: rows with no match are no failure (a resumed full
    synchronization creates them next)."""
    mapping = ctx.mapping(name)
    if mapping.option_mapping:
        # Options match by label; the option run couples them (and adds missing ones).
        [job] = synchronize(ctx, name, RunOptions(only_coupled=False))
        return MatchResult(job)
    groups = criteria_groups(mapping, fields)
    job = JobLog(ctx.ids(), name, mapping.direction, ctx.clock(), type=JobType.COUPLING)
    ctx.state.save_job(job)
    result = MatchResult(job)
    for page in _erp_rows(ctx, mapping, erp_ids):
        coupled = ctx.state.couplings_by_erp(name, [r.id for r in page])
        new: list[Coupling] = []
        for row in page:
            if row.id in coupled:
                continue  # already coupled rows are left alone; uncouple them first
            crm_id = find_match(ctx, mapping, groups, row, set(result.coupled.values()))
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
    elif result.unmatched and report_unmatched:
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
