"""The rules of a coupling's sync state (§0.3): what counts as changed, success, failure.

A coupling remembers, per side, the row's modified-on at the last successful sync. A row is
"changed" only when it is newer than that — the engine's own writes are recorded there as
they happen, so they are never read back as changes (no ping-pong). Timestamps only move
forward. A failed write marks the coupling; the same error twice in a row for the same
side marks it skipped, and scheduled runs leave it alone until a person restores it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from .model import Coupling, Outcome, Row, Side

# When both rows changed since the last sync, the destination's stamp is recorded this much
# earlier than its new modified-on, so the opposite pass still sees the destination as
# changed and carries its own edits back (BC subtracts 999 ms / 10 ms for the same reason).
BOTH_MODIFIED_NUDGE = dt.timedelta(milliseconds=1)

SKIPPED_NOTICE = (
    "The record will be skipped for further synchronization due to a repeatable failure."
)


def new_coupling(coupling_id: str, mapping: str, erp_id: str, crm_id: str) -> Coupling:
    return Coupling(id=coupling_id, mapping=mapping, erp_id=erp_id, crm_id=crm_id)


def changed_since_sync(coupling: Coupling, side: Side, row: Row) -> bool:
    """Whether `row` (on `side`) has changes the other side has not received yet.

    A failed, not skipped write *from* this side counts as a change, so it is retried.
    """
    if coupling.result_on(side.other) is Outcome.FAILURE and not coupling.skipped:
        return True
    synced = coupling.modified_on(side)
    return synced is None or row.modified_on > synced


def _later(old: dt.datetime | None, new: dt.datetime | None) -> dt.datetime | None:
    if new is None:
        return old
    return new if old is None or new > old else old


def _with_side(coupling: Coupling, side: Side, **values: Any) -> Coupling:
    prefix = "erp_" if side is Side.ERP else "crm_"
    changes: dict[str, Any] = {prefix + k: v for k, v in values.items()}
    return dataclasses.replace(coupling, **changes)


def mark_success(
    coupling: Coupling,
    written_side: Side,
    job_id: str,
    source: Row,
    written: Row | None,
    *,
    both_modified: bool = False,
) -> Coupling:
    """The coupling after `source` was synchronized to `written_side`.

    `written` is the destination row as stored after the write (None when nothing was
    written, i.e. the rows were already equal: its stamp stays as it was so that the
    destination's own pending edits are not forgotten).
    """
    source_side = written_side.other
    updated = _with_side(coupling, written_side, result=Outcome.SUCCESS, job=job_id, error=None)
    updated = _with_side(
        updated,
        source_side,
        modified_on=_later(coupling.modified_on(source_side), source.modified_on),
    )
    if written is not None:
        stamp = written.modified_on - BOTH_MODIFIED_NUDGE if both_modified else written.modified_on
        updated = _with_side(
            updated, written_side, modified_on=_later(coupling.modified_on(written_side), stamp)
        )
    other_failed = updated.result_on(source_side) is Outcome.FAILURE
    return dataclasses.replace(
        updated, skipped=False, last_error=updated.last_error if other_failed else None
    )


def mark_failure(
    coupling: Coupling, written_side: Side, job_id: str, message: str
) -> tuple[Coupling, bool]:
    """The coupling after a failed write to `written_side`, and whether it is now skipped."""
    repeated = (
        bool(message)
        and coupling.result_on(written_side) is Outcome.FAILURE
        and coupling.error_on(written_side) == message
    )
    updated = _with_side(coupling, written_side, result=Outcome.FAILURE, job=job_id, error=message)
    skipped = coupling.skipped or repeated
    return dataclasses.replace(updated, skipped=skipped, last_error=message), repeated


def recoupled(coupling: Coupling, side: Side, row_id: str) -> Coupling:
    """The coupling pointing at another row on `side`, whose sync state starts afresh."""
    fresh = _with_side(
        coupling, side, id=row_id, modified_on=None, result=None, job=None, error=None
    )
    return dataclasses.replace(fresh, skipped=False)


def restored(coupling: Coupling) -> Coupling:
    """A skipped coupling put back into synchronization.

    The failure marks stay (so the next run retries the record) but the remembered error
    texts are cleared: a restored record gets two more tries before it is skipped again.
    """
    return dataclasses.replace(coupling, skipped=False, erp_error=None, crm_error=None)
