"""Full synchronization (§4): one review line per mapping with a recommendation, started in
dependency waves, each line's progress kept in the state port.

"Full synchronization" copies every row of the side that has data, creating and coupling
the partners; "couple records" runs match-based coupling (creating the unmatched rows) so
no duplicates arise when both sides have data; "no records" lines are never started and
never block. A line is marked in process before its work starts, so after a crash `start`
picks it up again: a full-sync run resumes from its own watermark, and rows already
coupled are updated rather than created twice.

A full synchronization converges by itself (§4.1): every `start` runs again the lines that
ended in error or with failed records, and the lines a crash left in process. A line that
ran before is first reconciled — its rows are matched to the uncoupled rows already on the
other side — so what the earlier attempt wrote without coupling is coupled, not created
again. A service that stops answering ends `start` (the next one resumes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from .context import Context
from .criteria import criteria_groups
from .errors import UnavailableError, UnknownMappingError
from .matching import match_and_couple
from .model import (
    Direction,
    FullSyncLine,
    JobLog,
    LineStatus,
    PassStatus,
    Recommendation,
    TableMapping,
    Watermarks,
)
from .roles import FullSyncPolicy
from .runner import RunOptions, synchronize
from .shapes import line_failed
from .watermarks import merged


def recommend(ctx: Context, mapping: TableMapping) -> Recommendation:
    if ctx.travels_with_document(mapping):
        return Recommendation.NO_RECORDS  # they go with their documents
    erp = ctx.erp.count(mapping.erp_table, mapping.erp_filter)
    if ctx.page_step(mapping) is not None:
        # Documents are pushed, never matched: the CRM has no other source of them.
        return Recommendation.FULL_SYNCHRONIZATION if erp else Recommendation.NO_RECORDS
    if mapping.option_mapping:
        return Recommendation.NO_RECORDS if erp == 0 else Recommendation.COUPLE_RECORDS
    policy = mapping.full_sync
    if policy is FullSyncPolicy.COPY_ALL:
        return Recommendation.FULL_SYNCHRONIZATION
    if policy is FullSyncPolicy.SKIP:
        return Recommendation.NO_RECORDS
    crm = ctx.crm.count(mapping.crm_table, mapping.crm_filter)
    if policy is FullSyncPolicy.MATCH_IF_SEVERAL_CRM_ROWS:
        return Recommendation.FULL_SYNCHRONIZATION if crm <= 1 else Recommendation.COUPLE_RECORDS
    if policy is FullSyncPolicy.MATCH_IF_ERP_HAS_ROWS and erp:
        return Recommendation.COUPLE_RECORDS
    if erp == 0 and crm == 0:
        return Recommendation.NO_RECORDS
    if erp and crm:
        return Recommendation.COUPLE_RECORDS
    return Recommendation.FULL_SYNCHRONIZATION


def review(ctx: Context, names: Sequence[str] | None = None) -> list[FullSyncLine]:
    """Creates or refreshes the review lines (lines already started are kept as they are)."""
    existing = {line.name: line for line in ctx.state.full_sync_lines()}
    lines = []
    for mapping in ctx.mappings.values():
        if mapping.parent is not None or (names is not None and mapping.name not in names):
            continue
        line = existing.get(mapping.name)
        if line is None or line.status is LineStatus.NOT_STARTED:
            line = FullSyncLine(
                name=mapping.name,
                direction=mapping.direction,
                recommendation=recommend(ctx, mapping),
                dependencies=mapping.dependencies,
                # A restarted line remembers it ran before: its next run reconciles first.
                started_at=line.started_at if line else None,
            )
        lines.append(line)
    ctx.state.save_full_sync_lines(lines)
    return lines


def start(
    ctx: Context, on_line: Callable[[FullSyncLine], None] | None = None
) -> list[FullSyncLine]:
    """Runs every line whose dependencies are done, wave after wave, until none is ready.

    Lines left in process by a crash, and lines that failed, are run again; each line runs
    at most once per call. `on_line` is told about each line before it runs (progress
    display). A service that is not answering stops it with an `UnavailableError`.
    """
    ran: set[str] = set()
    while True:
        lines = {line.name: line for line in ctx.state.full_sync_lines()}
        ready = [line for line in lines.values() if line.name not in ran and _ready(line, lines)]
        if not ready:
            return list(lines.values())
        for line in ready:
            if on_line is not None:
                on_line(line)
            ran.add(line.name)
            _run_line(ctx, line)


def restart(ctx: Context, names: Sequence[str] | None = None) -> list[FullSyncLine]:
    """Puts lines back to not started (for example after fixing what made them fail): the
    named ones, or every failed one when `names` is None. A line keeps when it first
    started, so its next run reconciles what earlier runs wrote."""
    lines = {line.name: line for line in ctx.state.full_sync_lines()}
    if names is None:
        chosen = [line for line in lines.values() if failed(line)]
    else:
        unknown = [n for n in names if n not in lines]
        if unknown:
            raise UnknownMappingError(
                f"There is no full synchronization line {', '.join(unknown)}."
            )
        chosen = [lines[n] for n in dict.fromkeys(names)]
    fresh = [
        FullSyncLine(
            line.name,
            line.direction,
            line.recommendation,
            line.dependencies,
            started_at=line.started_at,
        )
        for line in chosen
    ]
    ctx.state.save_full_sync_lines(fresh)
    return fresh


def failed(line: FullSyncLine) -> bool:
    """A line that ended in error or with failed records: `start` runs it again."""
    return line.status is not LineStatus.IN_PROCESS and line_failed(line)


def _ready(line: FullSyncLine, lines: dict[str, FullSyncLine]) -> bool:
    if line.recommendation is Recommendation.NO_RECORDS:
        return False
    if line.status is LineStatus.FINISHED and not failed(line):
        return False
    return all(_done(lines.get(dependency)) for dependency in line.dependencies)


def _done(line: FullSyncLine | None) -> bool:
    return (
        line is None
        or line.recommendation is Recommendation.NO_RECORDS
        or line.status is LineStatus.FINISHED
    )


def _run_line(ctx: Context, line: FullSyncLine) -> None:
    resumed = line.started_at is not None
    line = dataclasses.replace(
        line,
        status=LineStatus.IN_PROCESS,
        started_at=line.started_at or ctx.clock(),
        erp_to_crm_status=PassStatus.NONE,
        crm_to_erp_status=PassStatus.NONE,
        message="",
    )
    ctx.state.save_full_sync_lines([line])
    try:
        if resumed and line.recommendation is Recommendation.FULL_SYNCHRONIZATION:
            _reconcile(ctx, line.name)
        if line.recommendation is Recommendation.COUPLE_RECORDS:
            result = match_and_couple(ctx, line.name, create_new=True, sync_after=True)
            line = dataclasses.replace(line, coupling_job=result.job.id)
            jobs = [result.job, *result.jobs]
            mapping = ctx.mapping(line.name)
            if not mapping.option_mapping and mapping.direction.includes(Direction.CRM_TO_ERP):
                # Matching creates only CRM rows; the CRM rows nobody matched are created in
                # the ERP, so both sides end up with everything and nothing twice.
                jobs += _full_run(ctx, line.name, Direction.CRM_TO_ERP)
        else:
            jobs = _full_run(ctx, line.name)
        line = _with_jobs(line, jobs)
        line = dataclasses.replace(line, status=LineStatus.FINISHED, finished_at=ctx.clock())
    except Exception as exc:  # the line reports what stopped it; the other lines go on
        line = dataclasses.replace(
            line, status=LineStatus.ERROR, finished_at=ctx.clock(), message=str(exc)
        )
        if isinstance(exc, UnavailableError):
            ctx.state.save_full_sync_lines([line])
            raise  # the other lines would fail the same way: stop, the next start resumes
    ctx.state.save_full_sync_lines([line])


def _reconcile(ctx: Context, name: str) -> None:
    """Couples the rows an earlier attempt of this line wrote but did not couple (it stopped
    between the write and the coupling, or a write's answer was lost), by the mapping's
    match criteria; rows with no match are left to the full run."""
    mapping = ctx.mapping(name)
    if mapping.option_mapping or not criteria_groups(mapping):
        return
    match_and_couple(ctx, name, create_new=False, sync_after=False, report_unmatched=False)


def _full_run(ctx: Context, name: str, direction: Direction | None = None) -> list[JobLog]:
    key = f"{name}#full-sync"
    options = RunOptions(
        direction=direction, force_modify=True, only_coupled=False, watermark_key=key
    )
    jobs = synchronize(ctx, name, options)
    # Hand the progress to the scheduled runs, so they do not read every row again.
    ctx.state.save_watermarks(name, merged(ctx.state.watermarks(name), ctx.state.watermarks(key)))
    ctx.state.save_watermarks(key, Watermarks())
    return jobs


def _with_jobs(line: FullSyncLine, jobs: Sequence[JobLog]) -> FullSyncLine:
    for job in jobs:
        status = PassStatus.ERROR if job.failed else PassStatus.SUCCESS
        if job.direction is Direction.ERP_TO_CRM:
            line = dataclasses.replace(line, erp_to_crm_job=job.id, erp_to_crm_status=status)
        elif job.direction is Direction.CRM_TO_ERP:
            line = dataclasses.replace(line, crm_to_erp_job=job.id, crm_to_erp_status=status)
    return line
