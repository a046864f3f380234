"""The coupling actions on a mapping's records: couple two records, create the partner of
records on the other side, uncouple, match-based coupling, restore skipped couplings."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import manual
from ..engine.matching import MatchResult, match_and_couple
from ..engine.model import Coupling, Direction, JobLog, Side
from .context import context
from .ids import record_id, record_ids
from .parts import Parts


def couple(
    parts: Parts, mapping: str, erp_id: str, crm_id: str, *, sync: Direction | None = None
) -> tuple[Coupling, list[JobLog]]:
    """Couples an ERP record with a CRM row (and synchronizes them one way, if asked)."""
    ids = record_id(erp_id, "ERP record"), record_id(crm_id, "CRM row")
    return manual.couple(context(parts), mapping, *ids, sync=sync)


def create_in(
    parts: Parts, mapping: str, destination: Side, source_ids: Sequence[str]
) -> tuple[list[JobLog], list[str]]:
    """Creates and couples the partners of these records on the destination side; returns
    the jobs and the ids left alone because they are validly coupled already."""
    return manual.create_in(context(parts), mapping, destination, record_ids(source_ids))


def uncouple(
    parts: Parts,
    mapping: str,
    *,
    erp_ids: Sequence[str] = (),
    crm_ids: Sequence[str] = (),
    everything: bool = False,
) -> JobLog:
    """Removes couplings (the records stay on both sides)."""
    return manual.uncouple(
        context(parts),
        mapping,
        erp_ids=record_ids(erp_ids, "ERP record"),
        crm_ids=record_ids(crm_ids, "CRM row"),
        everything=everything,
    )


def match(
    parts: Parts,
    mapping: str,
    *,
    fields: Sequence[str] | None = None,
    create_new: bool | None = None,
) -> MatchResult:
    """Match-based coupling: pairs uncoupled records whose chosen fields agree."""
    return match_and_couple(context(parts), mapping, fields=fields, create_new=create_new)


def restore_skipped(parts: Parts, coupling_ids: Sequence[str] | None = None) -> int:
    """Puts skipped couplings (these, or all of them) back into synchronization."""
    return manual.restore_skipped(context(parts), coupling_ids)
