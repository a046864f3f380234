"""Conflicts and how each mapping resolves them (§2.4 step 7, §2.5).

An *update conflict*: both rows of a coupling changed since the last sync and a
bidirectional field would change — one side's edit would silently overwrite the other's.
A *deletion conflict*: a coupled row changed but its partner was deleted. Each mapping says
what to do; with no setting the record fails with a message saying how to resolve it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .mapping import describe
from .model import DeletionConflict, Direction, Side, TableMapping, UpdateConflict


class Resolution(StrEnum):
    WRITE = "write"  # the source wins: write it to the destination
    SKIP = "skip"  # the destination wins: its value comes back in the opposite pass
    FAIL = "fail"  # no rule: a person decides
    REMOVE_COUPLING = "remove-coupling"
    RESTORE = "restore"  # re-create the deleted destination row and couple it again


def winner(rule: UpdateConflict) -> Side | None:
    """The side whose data wins an update conflict under `rule` (None: nobody)."""
    if rule is UpdateConflict.SEND_TO_CRM:
        return Side.ERP
    if rule is UpdateConflict.GET_FROM_CRM:
        return Side.CRM
    return None


def resolve_update(
    mapping: TableMapping, pass_direction: Direction, changed_fields: Iterable[str]
) -> tuple[Resolution, str]:
    """What to do when both rows changed and these bidirectional destination fields differ."""
    source = pass_direction.source
    wins = winner(mapping.update_conflict)
    if wins is source:
        return Resolution.WRITE, ""
    if wins is not None:
        return Resolution.SKIP, (
            f"changed on both sides since the last synchronization; "
            f"{wins.system_name} wins under the mapping's update-conflict resolution"
        )
    destination = pass_direction.destination
    changed = set(changed_fields)
    pairs = ", ".join(
        describe(fm)
        for fm in mapping.fields
        if fm.direction is Direction.BIDIRECTIONAL and fm.field_on(destination) in changed
    )
    return Resolution.FAIL, (
        f"The {mapping.table_on(destination)} row cannot be updated because the "
        f"bidirectionally mapped field(s) {pairs} changed in both {Side.ERP.system_name} and "
        f"{Side.CRM.system_name} since the last synchronization. Synchronize the record now "
        "choosing which side wins, or set the mapping's update-conflict resolution."
    )


def resolve_deletion(
    mapping: TableMapping, pass_direction: Direction, source_id: str, destination_id: str
) -> tuple[Resolution, str]:
    """What to do when the source row's coupled partner no longer exists."""
    rule = mapping.deletion_conflict
    if rule is DeletionConflict.RESTORE:
        return Resolution.RESTORE, ""
    if rule is DeletionConflict.REMOVE_COUPLING:
        return Resolution.REMOVE_COUPLING, ""
    source, destination = pass_direction.source, pass_direction.destination
    return Resolution.FAIL, (
        f"The {source.system_name} {mapping.table_on(source)} record {source_id} cannot be "
        f"updated because it is coupled to a deleted record ({mapping.table_on(destination)} "
        f"{destination_id} in {destination.system_name}). Restore the deleted record, remove "
        "the coupling, or set the mapping's deletion-conflict resolution."
    )
