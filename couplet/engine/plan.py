"""The plan for one source row in one pass: insert, modify, leave, skip, fail or uncouple.

Pure: it looks only at the row, its coupling, its partner row (already read in bulk) and
the translated references, and says what the runner should write (§2.4 steps 1 to 8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .conflicts import Resolution, resolve_deletion, resolve_update
from .couplings import changed_since_sync
from .errors import RecordError
from .model import Coupling, Direction, Row, Side, TableMapping
from .transfer import Translations, differences, reference_key, same_value, transfer

ALREADY_SKIPPED = "The coupling was marked as skipped before; restore it to synchronize again."


class Action(StrEnum):
    INSERT = "insert"
    MODIFY = "modify"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    FAIL = "fail"
    UNCOUPLE = "uncouple"
    IGNORE = "ignore"  # uncoupled while only coupled records sync: not even counted


@dataclass(frozen=True)
class PassSettings:
    """How one pass treats its rows."""

    mapping: TableMapping
    direction: Direction  # one way: erp-to-crm or crm-to-erp
    catalogue: Mapping[str, TableMapping]
    # Manual and full synchronization write every mapped field without change detection.
    force_modify: bool = False
    only_coupled: bool = True
    # Synchronizing selected couplings by hand takes skipped ones too.
    include_skipped: bool = False


@dataclass(frozen=True)
class Decision:
    action: Action
    source: Row
    coupling: Coupling | None = None
    destination_id: str | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    message: str = ""
    # Both rows changed: the destination's stamp is nudged so its own edits flow back.
    both_modified: bool = False
    # Inserting replaces a deleted partner (deletion conflict "restore records").
    restore: bool = False
    # Nothing to write, but the source is now in sync (the coupling records it).
    refresh: bool = False
    # The destination's own values to put back after the write (see crm_write_state).
    reset: Mapping[str, object] = field(default_factory=dict)


def decide(
    settings: PassSettings,
    source: Row,
    coupling: Coupling | None,
    destination: Row | None,
    translations: Translations,
) -> Decision:
    mapping, direction = settings.mapping, settings.direction
    if coupling is not None and coupling.skipped and not settings.include_skipped:
        return Decision(Action.SKIP, source, coupling, message=ALREADY_SKIPPED)
    destination_id = coupling.id_on(direction.destination) if coupling else None

    if coupling is not None and destination is None:
        assert destination_id is not None
        if settings.force_modify:
            return Decision(
                Action.SKIP, source, coupling, destination_id, message="partner deleted"
            )
        resolution, message = resolve_deletion(mapping, direction, source.id, destination_id)
        if resolution is Resolution.REMOVE_COUPLING:
            return Decision(Action.UNCOUPLE, source, coupling, destination_id)
        if resolution is Resolution.FAIL:
            return Decision(Action.FAIL, source, coupling, destination_id, message=message)
        return _insert(settings, source, coupling, translations, restore=True)

    if coupling is None:
        if settings.only_coupled:
            return Decision(Action.IGNORE, source)
        return _insert(settings, source, None, translations, restore=False)

    assert destination is not None
    if not settings.force_modify and not changed_since_sync(coupling, direction.source, source):
        return Decision(Action.UNCHANGED, source, coupling, destination_id)
    both_modified = (
        not settings.force_modify
        and mapping.direction is Direction.BIDIRECTIONAL
        and mapping.parent is None
        and changed_since_sync(coupling, direction.destination, destination)
    )
    try:
        moved = transfer(mapping, direction, source, translations, settings.catalogue)
    except RecordError as exc:
        return Decision(Action.FAIL, source, coupling, destination_id, message=str(exc))
    changes = differences(moved.values, destination.values)
    frozen = _fixed_changes(mapping, direction, changes, destination)
    if frozen:
        return Decision(Action.FAIL, source, coupling, destination_id, message=frozen)
    conflicting = moved.bidirectional & changes.keys()
    if both_modified and conflicting:
        resolution, message = resolve_update(mapping, direction, conflicting)
        if resolution is Resolution.SKIP:
            return Decision(Action.SKIP, source, coupling, destination_id, message=message)
        if resolution is Resolution.FAIL:
            return Decision(Action.FAIL, source, coupling, destination_id, message=message)
    if not changes:
        return Decision(Action.UNCHANGED, source, coupling, destination_id, refresh=True)
    reset = _reset(mapping, direction, destination)
    return Decision(
        Action.MODIFY,
        source,
        coupling,
        destination_id,
        {**changes, **mapping.crm_write_state} if reset else changes,
        both_modified=both_modified,
        reset=reset,
    )


def _fixed_changes(
    mapping: TableMapping, direction: Direction, changes: Mapping[str, object], current: Row
) -> str:
    """Why the changes touch a value that is fixed once the destination row exists."""
    for fm in mapping.fields_for(direction):
        target = fm.field_on(direction.destination) or ""
        if fm.fixed and target in changes and reference_key(current.values.get(target)):
            table = mapping.table_on(direction.destination)
            return (
                f"The {target} of an existing {table} row in "
                f"{direction.destination.system_name} cannot change "
                f"(the source's {fm.field_on(direction.source)} changed); "
                "create a new one instead"
            )
    return ""


def _reset(mapping: TableMapping, direction: Direction, destination: Row) -> dict[str, object]:
    """The destination's state values to restore after writing in the mapping's write state
    (none when the row is in that state already, or the write goes to the ERP)."""
    if direction.destination is not Side.CRM or not mapping.crm_write_state:
        return {}
    current = {k: destination.values.get(k) for k in mapping.crm_write_state}
    if all(same_value(v, current[k]) for k, v in mapping.crm_write_state.items()):
        return {}
    return current


def _insert(
    settings: PassSettings,
    source: Row,
    coupling: Coupling | None,
    translations: Translations,
    *,
    restore: bool,
) -> Decision:
    mapping, direction = settings.mapping, settings.direction
    try:
        moved = transfer(mapping, direction, source, translations, settings.catalogue)
    except RecordError as exc:
        return Decision(Action.FAIL, source, coupling, message=str(exc))
    # The template of the new row's side wins over mapped values, as in BC; what the
    # table's own rules set (a currency's exchange rate) is applied after it, as BC's
    # subscribers run after the template.
    extra = translations.extra.get(source.id, {})
    values = {**moved.values, **mapping.template_on(direction.destination), **extra}
    return Decision(Action.INSERT, source, coupling, values=values, restore=restore)
