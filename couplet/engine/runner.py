"""One synchronization run of a mapping (§2.1 to §2.3): an ERP-to-CRM pass, then CRM-to-ERP.

Each pass is one job in the log. It first retries the couplings whose last write in that
direction failed, then reads the rows changed since the watermark, page by page: for a
page it fetches the couplings in one state call, the partner rows in one read by ids, the
references' translations in one call per related mapping, plans every row and writes the
plan in bulk. A failing record is logged and the pass goes on; so is a page that could not
be written after the connector's retries (each of its records fails with the cause, the
coupled ones join the retry set, and the watermark stays before the page). A failing
*system* (the port raises anything else, or a system stopped answering) ends the pass with
its message in the job, progress so far kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .apply import apply_plan, fail_page
from .context import Context
from .echo import suppression
from .errors import NotRunnableError, RetryableError, UnavailableError
from .mapping import dependency_order
from .model import Condition, Direction, JobLog, Op, Outcome, Row, Side, TableMapping
from .on_the_fly import match_before_insert, sync_references
from .options import synchronize_options
from .plan import Action, PassSettings, decide
from .ports import RecordPort
from .table_rules import prepare
from .transfer import Translations
from .watermarks import advance, candidates

# Decisions after which a parent row is in the CRM and its child rows follow it.
_SYNCED = (Action.INSERT, Action.MODIFY, Action.UNCHANGED)


@dataclass(frozen=True)
class RunOptions:
    """How a run differs from a scheduled one.

    `erp_ids` / `crm_ids` make a *targeted* run: each pass handles exactly the given rows
    of its source side (none given: the pass does not run), with no retry set and no
    watermark. `watermark_key` keeps a run's progress apart from the mapping's own
    (full synchronization resumes from it).
    """

    direction: Direction | None = None
    force_modify: bool = False
    only_coupled: bool | None = None
    include_skipped: bool = False
    erp_ids: tuple[str, ...] | None = None
    crm_ids: tuple[str, ...] | None = None
    watermark_key: str | None = None

    @property
    def targeted(self) -> bool:
        return self.erp_ids is not None or self.crm_ids is not None

    def ids_on(self, side: Side) -> tuple[str, ...] | None:
        return self.erp_ids if side is Side.ERP else self.crm_ids


def synchronize(ctx: Context, name: str, options: RunOptions | None = None) -> list[JobLog]:
    """Runs the mapping once; returns the job of each pass."""
    options = options or RunOptions()
    mapping = ctx.mapping(name)
    direction = options.direction or mapping.direction
    if not mapping.direction.includes(direction):
        raise NotRunnableError(
            f"Mapping {name} synchronizes {mapping.direction}; it cannot run {direction}"
        )
    started = ctx.clock()
    if mapping.option_mapping:
        only_coupled = (
            mapping.only_coupled if options.only_coupled is None else options.only_coupled
        )
        key = options.watermark_key or mapping.name
        return [synchronize_options(ctx, mapping, only_coupled, key, started)]
    jobs = []
    for pass_direction in direction.passes:
        if options.targeted and options.ids_on(pass_direction.source) is None:
            continue
        jobs.append(run_pass(ctx, mapping, pass_direction, options, started))
    return jobs


def run_pass(
    ctx: Context,
    mapping: TableMapping,
    pass_direction: Direction,
    options: RunOptions,
    started: dt.datetime,
) -> JobLog:
    job = JobLog(id=ctx.ids(), mapping=mapping.name, direction=pass_direction, started_at=started)
    ctx.state.save_job(job)
    settings = PassSettings(
        mapping=mapping,
        direction=pass_direction,
        catalogue=ctx.mappings,
        force_modify=options.force_modify,
        only_coupled=mapping.only_coupled if options.only_coupled is None else options.only_coupled,
        include_skipped=options.include_skipped,
    )
    synced: list[str] = []
    # Document mappings (posted invoices) write their pages themselves.
    step = ctx.page_step(mapping)
    try:
        held = _Held()
        for page in _pages(ctx, mapping, pass_direction, options, started, held):
            try:
                if step is None:
                    synced += process_page(ctx, job, settings, page)
                else:
                    step(ctx, job, settings, page)
            except RetryableError as exc:
                if isinstance(exc, UnavailableError):
                    raise  # the system is down: the run stops, the next one resumes
                # A fault that outlasted its retries fails this page's records, not the run;
                # the watermark stays before them, so the next run reads them again.
                fail_page(ctx, job, settings, page, str(exc))
                held.watermark = True
            if ctx.on_page is not None:
                ctx.on_page(job)
    except Exception as exc:
        job.message = f"The run stopped: {exc}"
        raise
    finally:
        job.finished_at = ctx.clock()
        if job.failed and not job.message:
            job.message = f"{job.failed} record(s) failed; see the job's errors."
        ctx.state.save_job(job)
    if mapping.child_mapping and pass_direction is Direction.ERP_TO_CRM and synced:
        _sync_children(ctx, mapping, synced)
    return job


def _sync_erp_rows(ctx: Context, name: str, erp_ids: tuple[str, ...]) -> None:
    """Creates or updates these ERP rows of a mapping in the CRM now, coupled or not."""
    options = RunOptions(direction=Direction.ERP_TO_CRM, only_coupled=False, erp_ids=erp_ids)
    synchronize(ctx, name, options)


def _sync_children(ctx: Context, mapping: TableMapping, parent_ids: Sequence[str]) -> None:
    """Synchronizes the child rows (a price list's lines) of the parents now in the CRM."""
    assert mapping.child_mapping is not None and mapping.child_field is not None
    coupled = ctx.state.couplings_by_erp(mapping.name, list(dict.fromkeys(parent_ids)))
    parents = sorted(i for i, c in coupled.items() if c.crm_result is Outcome.SUCCESS)
    child = ctx.mapping(mapping.child_mapping)
    ids: list[str] = []
    for start in range(0, len(parents), 100):
        link = Condition(mapping.child_field, Op.IN, tuple(parents[start : start + 100]))
        for page in ctx.erp.query(child.erp_table, filters=(*child.erp_filter, link)):
            ids += [row.id for row in page]
    if ids:
        synchronize(ctx, child.name, RunOptions(direction=Direction.ERP_TO_CRM, erp_ids=tuple(ids)))


def process_page(
    ctx: Context, job: JobLog, settings: PassSettings, rows: Sequence[Row]
) -> list[str]:
    """Plans and writes one page of source rows; returns the ids of the rows now in step."""
    if not rows:
        return []
    mapping, direction = settings.mapping, settings.direction
    source, destination = direction.source, direction.destination
    ids = [row.id for row in rows]
    if source is Side.ERP:
        couplings = ctx.state.couplings_by_erp(mapping.name, ids)
    else:
        couplings = ctx.state.couplings_by_crm(mapping.name, ids)
    translations = Translations.load(ctx.state, mapping, direction, rows, ctx.blanks)

    def sync_rows(name: str, erp_ids: tuple[str, ...]) -> None:
        _sync_erp_rows(ctx, name, erp_ids)

    if direction is Direction.ERP_TO_CRM:
        translations = sync_references(ctx, mapping, rows, translations, sync_rows)
        if not settings.only_coupled:
            matched = match_before_insert(ctx, mapping, rows, couplings)
            couplings.update(matched)
            job.coupled += len(matched)
    partner_ids = [c.id_on(destination) for c in couplings.values()]
    partners = (
        ctx.port(destination).get_many(mapping.table_on(destination), partner_ids)
        if partner_ids
        else {}
    )
    translations = prepare(ctx, mapping, direction, rows, couplings, translations, sync_rows)
    decisions = []
    for row in rows:
        coupling = couplings.get(row.id)
        partner = partners.get(coupling.id_on(destination)) if coupling else None
        decisions.append(decide(settings, row, coupling, partner, translations))
    apply_plan(ctx, job, settings, decisions)
    return [d.source.id for d in decisions if d.action in _SYNCED]


@dataclass
class _Held:
    """Set once a page of the pass could not be written: the watermark moves no further."""

    watermark: bool = False


def _pages(
    ctx: Context,
    mapping: TableMapping,
    pass_direction: Direction,
    options: RunOptions,
    started: dt.datetime,
    held: _Held,
) -> Iterator[list[Row]]:
    """The pass's source rows: the given ones, or the retry set then the changed rows.

    The watermark is saved after each page of changed rows has been processed (the caller
    finishes a page before asking for the next), never before, and no more once `held`.
    """
    source = pass_direction.source
    port, table = ctx.port(source), mapping.table_on(source)
    given = options.ids_on(source)
    if options.targeted:
        yield from _by_ids(port, table, given or (), ctx.page_size)
        return
    retry = [c.id_on(source) for c in ctx.state.failed_couplings(mapping.name, source.other)]
    yield from _by_ids(port, table, retry, ctx.page_size)
    handled = set(retry)
    key = options.watermark_key or mapping.name
    marks = ctx.state.watermarks(key)
    scheduled = not options.force_modify and options.watermark_key is None
    filters = mapping.filter_on(source) + suppression(ctx, mapping, pass_direction, scheduled)
    pages = candidates(port, table, filters, marks, source, started, ctx.page_size)
    for page in pages:
        yield [row for row in page if row.id not in handled]
        if held.watermark:
            continue
        marks = advance(marks, source, page, started)
        ctx.state.save_watermarks(key, marks)


def _by_ids(
    port: RecordPort, table: str, ids: Iterable[str], page_size: int
) -> Iterator[list[Row]]:
    """Rows read by id in pages; ids of rows that no longer exist are left out."""
    ordered = list(dict.fromkeys(ids))
    for start in range(0, len(ordered), page_size):
        chunk = ordered[start : start + page_size]
        found = port.get_many(table, chunk)
        yield [found[i] for i in chunk if i in found]


def runnable(ctx: Context, name: str, direction: Direction | None = None) -> TableMapping:
    """The mapping, when a run of it on its own (in `direction`, when given) can work;
    `NotRunnableError` saying why not, `UnknownMappingError` for a name that is none."""
    mapping = ctx.mapping(name)
    if ctx.travels_with_document(mapping):
        raise NotRunnableError(
            f"{name} cannot be synchronized separately: its rows go with their document."
        )
    if direction is not None and not mapping.direction.includes(direction):
        raise NotRunnableError(
            f"Mapping {name} synchronizes {mapping.direction}; it cannot run {direction}."
        )
    return mapping


def synchronize_many(
    ctx: Context,
    names: Sequence[str] | None = None,
    *,
    direction: Direction | None = None,
    full: bool = False,
    on_mapping: Callable[[str], None] | None = None,
) -> list[JobLog]:
    """Runs several mappings; when none are named, every mapping that has a job of its own
    (and goes in `direction`, when given), in dependency order - what the scheduler runs
    (docs/behaviour.md §2.9). Named mappings that cannot run as asked are refused before
    anything runs (`runnable`).

    `full` sends every record again, coupled or not, under a watermark of its own so the
    scheduled runs' progress is left alone. `on_mapping` is told before each mapping runs
    (for progress display).
    """
    if names:
        for name in names:
            runnable(ctx, name, direction)  # what cannot run fails before anything runs
    else:
        waves = dependency_order(ctx.mappings.values())
        names = [
            n
            for wave in waves
            for n in wave
            if ctx.mappings[n].job.enabled
            and (direction is None or ctx.mappings[n].direction.includes(direction))
        ]
    jobs: list[JobLog] = []
    for name in names:
        if on_mapping is not None:
            on_mapping(name)
        options = RunOptions(direction=direction)
        if full:
            options = RunOptions(
                direction=direction,
                force_modify=True,
                only_coupled=False,
                watermark_key=f"{name}#full-{ctx.ids()[:8]}",
            )
        jobs += synchronize(ctx, name, options)
    return jobs
