"""What a person does to records by hand (§3.1, §3.3 to §3.5, §2.6): set up a coupling, create
a record on the other side and couple it, uncouple, restore skipped couplings, and
Synchronize Now with its direction choice and safety rules.

Each action is a function that decides, then runs the work through the runner; there is no
user interface here — `sync_now_choice` returns what a dialog would offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .context import Context
from .couplings import changed_since_sync, new_coupling, recoupled, restored
from .errors import CouplingError, RecordError
from .model import Coupling, Direction, JobLog, JobType, Row, Side, TableMapping
from .plan import ALREADY_SKIPPED
from .runner import RunOptions, synchronize
from .transfer import Translations, differences, transfer


def couple(
    ctx: Context, name: str, erp_id: str, crm_id: str, *, sync: Direction | None = None
) -> tuple[Coupling, list[JobLog]]:
    """Couples two existing rows (§3.1 / §0.3 rules), then optionally synchronizes them."""
    mapping = ctx.mapping(name)
    if erp_id not in ctx.erp.get_many(mapping.erp_table, [erp_id]):
        raise CouplingError(f"{mapping.erp_table} {erp_id} does not exist in Business Central")
    if crm_id not in ctx.crm.get_many(mapping.crm_table, [crm_id]):
        raise CouplingError(f"{mapping.crm_table} {crm_id} does not exist in Dataverse")
    taken = ctx.state.couplings_by_crm(name, [crm_id]).get(crm_id)
    if taken is not None and taken.erp_id != erp_id:
        if ctx.erp.get_many(mapping.erp_table, [taken.erp_id]):
            raise CouplingError(
                f"{mapping.crm_table} {crm_id} is already coupled to {mapping.erp_table} "
                f"{taken.erp_id}; uncouple it first"
            )
        ctx.state.delete_couplings([taken.id])  # a stale coupling to a deleted ERP row
    current = ctx.state.couplings_by_erp(name, [erp_id]).get(erp_id)
    if current is None:
        coupling = new_coupling(ctx.ids(), name, erp_id, crm_id)
    elif current.crm_id != crm_id:
        coupling = recoupled(current, Side.CRM, crm_id)
    else:
        coupling = current
    ctx.state.save_couplings([coupling])
    jobs = []
    if sync is not None:
        jobs = synchronize(ctx, name, _targeted(sync, [coupling], force=True))
    return coupling, jobs


def create_in(
    ctx: Context, name: str, destination: Side, source_ids: Sequence[str]
) -> tuple[list[JobLog], list[str]]:
    """Creates the rows on `destination` for uncoupled source rows and couples them (§3.3).

    Returns the jobs and the ids left alone because they are validly coupled already.
    """
    mapping = ctx.mapping(name)
    source = destination.other
    found = _couplings_on(ctx, name, source, source_ids)
    partners = ctx.port(destination).get_many(
        mapping.table_on(destination), [c.id_on(destination) for c in found.values()]
    )
    already = [i for i, c in found.items() if c.id_on(destination) in partners]
    broken = [c.id for c in found.values() if c.id_on(destination) not in partners]
    if broken:
        ctx.state.delete_couplings(broken)
    todo = tuple(i for i in source_ids if i not in already)
    if not todo:
        return [], already
    options = RunOptions(
        direction=Direction.from_side(source),
        only_coupled=False,
        force_modify=True,
        erp_ids=todo if source is Side.ERP else None,
        crm_ids=todo if source is Side.CRM else None,
    )
    return synchronize(ctx, name, options), already


def uncouple(
    ctx: Context,
    name: str,
    *,
    erp_ids: Sequence[str] = (),
    crm_ids: Sequence[str] = (),
    everything: bool = False,
) -> JobLog:
    """Removes couplings: of the given rows, or every coupling of the mapping (§3.4)."""
    mapping = ctx.mapping(name)
    job = JobLog(ctx.ids(), name, mapping.direction, ctx.clock(), type=JobType.UNCOUPLING)
    if everything:
        ids = [c.id for page in ctx.state.all_couplings(name) for c in page]
    else:
        ids = [c.id for c in ctx.state.couplings_by_erp(name, erp_ids).values()]
        ids += [c.id for c in ctx.state.couplings_by_crm(name, crm_ids).values()]
        ids = list(dict.fromkeys(ids))
    ctx.state.delete_couplings(ids)
    job.uncoupled = len(ids)
    job.finished_at = ctx.clock()
    job.message = "Uncoupling completed."
    ctx.state.save_job(job)
    return job


def restore_skipped(
    ctx: Context, coupling_ids: Sequence[str] | None = None, *, mapping: str | None = None
) -> int:
    """Puts skipped couplings back into synchronization (all of them, or the given ones)
    when their ERP row still exists; returns how many were restored."""
    if coupling_ids is None:
        chosen = ctx.state.skipped_couplings(mapping)
    else:
        chosen = [c for c in ctx.state.couplings_by_id(coupling_ids).values() if c.skipped]
    by_mapping: dict[str, list[Coupling]] = {}
    for coupling in chosen:
        by_mapping.setdefault(coupling.mapping, []).append(coupling)
    back: list[Coupling] = []
    for name, couplings in by_mapping.items():
        table = ctx.mapping(name).erp_table
        alive = ctx.erp.get_many(table, [c.erp_id for c in couplings])
        back += [restored(c) for c in couplings if c.erp_id in alive]
    if back:
        ctx.state.save_couplings(back)
    return len(back)


@dataclass(frozen=True)
class SyncNowChoice:
    """What Synchronize Now offers for one record (§3.5), as a dialog would show it."""

    coupled: bool
    erp_changed: bool = False
    crm_changed: bool = False
    bidirectional_field_differs: bool = False
    choices: tuple[Direction, ...] = ()
    recommended: Direction | None = None
    warning: str = ""
    # A person must confirm before data newer than the source is overwritten.
    confirm_overwrite: bool = False


def sync_now_choice(
    ctx: Context, name: str, *, erp_id: str | None = None, crm_id: str | None = None
) -> SyncNowChoice:
    mapping = ctx.mapping(name)
    coupling = _find(ctx, name, erp_id, crm_id)
    if coupling is None:
        return SyncNowChoice(
            coupled=False, warning="The record is not coupled; set up a coupling first."
        )
    erp = ctx.erp.get_many(mapping.erp_table, [coupling.erp_id]).get(coupling.erp_id)
    crm = ctx.crm.get_many(mapping.crm_table, [coupling.crm_id]).get(coupling.crm_id)
    erp_changed = erp is None or changed_since_sync(coupling, Side.ERP, erp)
    crm_changed = crm is None or changed_since_sync(coupling, Side.CRM, crm)
    both = erp_changed and crm_changed
    if mapping.direction is Direction.BIDIRECTIONAL:
        differs = both and _would_change(ctx, mapping, Direction.ERP_TO_CRM, erp, crm, bidi=True)
        if differs:
            return SyncNowChoice(
                True,
                erp_changed,
                crm_changed,
                True,
                (Direction.ERP_TO_CRM, Direction.CRM_TO_ERP),
                Direction.ERP_TO_CRM,
                "Both records changed and a bidirectional field differs: bidirectional "
                "synchronization is not possible; choose which side to overwrite.",
            )
        recommended = (
            Direction.BIDIRECTIONAL
            if erp_changed == crm_changed
            else Direction.CRM_TO_ERP
            if crm_changed
            else Direction.ERP_TO_CRM
        )
        return SyncNowChoice(
            True,
            erp_changed,
            crm_changed,
            False,
            (Direction.ERP_TO_CRM, Direction.CRM_TO_ERP, Direction.BIDIRECTIONAL),
            recommended,
        )
    direction = mapping.direction
    target = direction.destination
    overwrite = both and _would_change(ctx, mapping, direction, erp, crm, bidi=False)
    warning = f"The record in {target.system_name} is newer; overwrite it?" if overwrite else ""
    return SyncNowChoice(
        True, erp_changed, crm_changed, False, (direction,), direction, warning, overwrite
    )


@dataclass(frozen=True)
class SyncNowResult:
    scheduled: int = 0
    failed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # source id -> why
    jobs: tuple[JobLog, ...] = ()

    @property
    def summary(self) -> str:
        total = self.scheduled + len(self.skipped)
        return (
            f"Synchronized {self.scheduled - self.failed} of {total} records. "
            f"{self.failed} failed. {len(self.skipped)} skipped."
        )


def synchronize_now(
    ctx: Context,
    name: str,
    direction: Direction,
    *,
    erp_ids: Sequence[str] = (),
    crm_ids: Sequence[str] = (),
    from_couplings: bool = False,
) -> SyncNowResult:
    """Synchronizes the given coupled records now in `direction` (§3.5).

    Uncoupled records are skipped; skipped couplings too, unless the person chose them
    from the couplings list (`from_couplings`, which clears Skipped on success). With
    several records, one whose target side changed since the last sync is skipped rather
    than overwritten in bulk.
    """
    mapping = ctx.mapping(name)
    if not mapping.direction.includes(direction):
        raise CouplingError(f"Mapping {name} cannot synchronize {direction}")
    couplings: list[Coupling] = []
    skipped: dict[str, str] = {}
    by_erp = ctx.state.couplings_by_erp(name, erp_ids)
    by_crm = ctx.state.couplings_by_crm(name, crm_ids)
    for source_id, coupling in [(i, by_erp.get(i)) for i in erp_ids] + [
        (i, by_crm.get(i)) for i in crm_ids
    ]:
        if coupling is None:
            skipped[source_id] = "The record is not coupled."
        elif coupling.skipped and not from_couplings:
            skipped[source_id] = ALREADY_SKIPPED
        else:
            couplings.append(coupling)
    if len(couplings) + len(skipped) > 1 and direction is not Direction.BIDIRECTIONAL:
        couplings = _unless_target_changed(ctx, mapping, direction, couplings, skipped)
    if not couplings:
        return SyncNowResult(skipped=skipped)
    options = _targeted(direction, couplings, force=True, include_skipped=from_couplings)
    jobs = synchronize(ctx, name, options)
    failed = {e.source_id for job in jobs for e in ctx.state.job_errors(job.id)}
    return SyncNowResult(len(couplings), len(failed), skipped, tuple(jobs))


def _unless_target_changed(
    ctx: Context,
    mapping: TableMapping,
    direction: Direction,
    couplings: list[Coupling],
    skipped: dict[str, str],
) -> list[Coupling]:
    target = direction.destination
    rows = ctx.port(target).get_many(mapping.table_on(target), [c.id_on(target) for c in couplings])
    keep = []
    for c in couplings:
        row = rows.get(c.id_on(target))
        if row is not None and changed_since_sync(c, target, row):
            skipped[c.id_on(target.other)] = (
                f"The record changed in {target.system_name} since the last synchronization; "
                "it is not overwritten when several records are synchronized."
            )
        else:
            keep.append(c)
    return keep


def _targeted(
    direction: Direction,
    couplings: Sequence[Coupling],
    *,
    force: bool,
    include_skipped: bool = False,
) -> RunOptions:
    passes = direction.passes
    erp_ids = tuple(c.erp_id for c in couplings) if Direction.ERP_TO_CRM in passes else None
    crm_ids = tuple(c.crm_id for c in couplings) if Direction.CRM_TO_ERP in passes else None
    return RunOptions(
        direction=direction,
        force_modify=force,
        include_skipped=include_skipped,
        erp_ids=erp_ids,
        crm_ids=crm_ids,
    )


def _couplings_on(ctx: Context, name: str, side: Side, ids: Sequence[str]) -> dict[str, Coupling]:
    if side is Side.ERP:
        return ctx.state.couplings_by_erp(name, ids)
    return ctx.state.couplings_by_crm(name, ids)


def _find(ctx: Context, name: str, erp_id: str | None, crm_id: str | None) -> Coupling | None:
    if erp_id is not None:
        return ctx.state.couplings_by_erp(name, [erp_id]).get(erp_id)
    if crm_id is not None:
        return ctx.state.couplings_by_crm(name, [crm_id]).get(crm_id)
    return None


def _would_change(
    ctx: Context,
    mapping: TableMapping,
    direction: Direction,
    erp: Row | None,
    crm: Row | None,
    *,
    bidi: bool,
) -> bool:
    """Whether a transfer in `direction` would change the target (bidirectional fields only
    with `bidi`). Missing rows or untranslatable references count as a change."""
    source, target = (erp, crm) if direction is Direction.ERP_TO_CRM else (crm, erp)
    if source is None or target is None:
        return True
    try:
        translations = Translations.load(ctx.state, mapping, direction, [source], ctx.blanks)
        moved = transfer(mapping, direction, source, translations, ctx.mappings)
    except RecordError:
        return True
    changed = differences(moved.values, target.values)
    return bool(moved.bidirectional & changed.keys()) if bidi else bool(changed)
