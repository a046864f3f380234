"""What a page of an ERP-to-CRM pass settles before it is planned: references synchronized
on the fly (§3.6) and implicit matches of rows about to be created (§2.4 step 2).

* A field mapping with `sync_uncoupled` does not fail on an uncoupled reference when the
  referenced ERP row is within its mapping's filter: that row is synchronized (created in
  the CRM) first, as Business Central syncs the units a price line needs.
* A mapping with `match_before_insert` couples an uncoupled source row to the destination
  row that has its match-field values before creating one, so the CRM's duplicate rules
  (one price per list, product and unit; unit names within a group) are never hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .context import Context
from .couplings import new_coupling
from .criteria import criteria_groups, find_match
from .model import Condition, Coupling, Direction, Op, Row, TableMapping
from .transfer import Translations, reference_key

# Synchronizes the given ERP rows of a mapping to the CRM (the runner's targeted run).
SyncRows = Callable[[str, tuple[str, ...]], None]

_CHUNK = 100


def ids_within(ctx: Context, mapping: TableMapping, ids: Iterable[str]) -> set[str]:
    """The ERP ids among `ids` whose rows exist within the mapping's ERP filter."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = tuple(wanted[start : start + _CHUNK])
        filters = (*mapping.erp_filter, Condition("id", Op.IN, chunk))
        for page in ctx.erp.query(mapping.erp_table, filters=filters, page_size=_CHUNK):
            found.update(row.id for row in page)
    return found


def sync_erp_rows(ctx: Context, name: str, ids: Iterable[str], sync_rows: SyncRows) -> set[str]:
    """Synchronizes the uncoupled ERP rows among `ids` that are within mapping `name`'s filter
    to the CRM; returns the ids it tried."""
    mapping = ctx.mapping(name)
    if not mapping.direction.includes(Direction.ERP_TO_CRM):
        return set()
    uncoupled = set(ids) - set(ctx.state.couplings_by_erp(name, sorted(set(ids))))
    within = ids_within(ctx, mapping, uncoupled) if uncoupled else set()
    if within:
        sync_rows(name, tuple(sorted(within)))
    return within


def sync_references(
    ctx: Context,
    mapping: TableMapping,
    rows: Sequence[Row],
    translations: Translations,
    sync_rows: SyncRows,
) -> Translations:
    """The page's translations after its uncoupled `sync_uncoupled` references were synced."""
    synced = False
    for fm in mapping.fields_for(Direction.ERP_TO_CRM):
        name = fm.erp_field
        if not fm.sync_uncoupled or fm.lookup is None or name is None:
            continue
        keys = {reference_key(row.values.get(name)) for row in rows}
        missing = {k for k in keys if k is not None and translations.translate(fm, k) is None}
        for related in fm.related:
            if missing:
                tried = sync_erp_rows(ctx, related, missing, sync_rows)
                missing -= tried
                synced = synced or bool(tried)
    if not synced:
        return translations
    return Translations.load(ctx.state, mapping, Direction.ERP_TO_CRM, rows, translations.blanks)


def match_before_insert(
    ctx: Context,
    mapping: TableMapping,
    rows: Sequence[Row],
    couplings: dict[str, Coupling],
) -> dict[str, Coupling]:
    """Couples the page's uncoupled rows that have a matching, uncoupled CRM row; returns the
    new couplings by ERP id (already saved)."""
    uncoupled = [row for row in rows if row.id not in couplings]
    if not mapping.match_before_insert or not uncoupled:
        return {}
    groups = criteria_groups(mapping)
    claimed: set[str] = set()
    new: dict[str, Coupling] = {}
    for row in uncoupled:
        crm_id = find_match(ctx, mapping, groups, row, claimed)
        if crm_id is not None:
            claimed.add(crm_id)
            new[row.id] = new_coupling(ctx.ids(), mapping.name, row.id, crm_id)
    if new:
        ctx.state.save_couplings(list(new.values()))
    return new
