"""The ERP sales quote of a CRM quote: made new, or rebuilt from a new revision (§6).

A CRM quote's first revision becomes a new ERP quote. A later revision takes over the ERP
quote of the earlier revision it replaces (same quote number, closed as Revised): that ERP
quote is archived first, so the old version stays readable, then its lines and notes go
and header and lines are rebuilt from the new revision. Nothing is written to the ERP
before the CRM quote has been checked, so a quote with an uncoupled customer or product
leaves the ERP untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ...engine.context import Context
from ...engine.couplings import new_coupling
from ...engine.errors import RecordError
from ...engine.model import Condition, Op, Row
from ..builders.headers import QUOTE, document_header
from ..builders.lines import SalesSetup, document_lines, freight_lines
from .link import MAPPING, archive_quote

ACTIVE, WON, CLOSED = 1, 2, 3  # CRM quote states (docs/protocols.md §A3)
REVISED = 7  # the status of a closed quote replaced by a revision
RELEASED = "Open"  # a released ERP document's status (docs/protocols.md, contract details)
_DONE = {"release": "released", "reopen": "reopened"}


class ErpQuoteError(RecordError):
    """A record error that happened to a known ERP quote (logged with its id)."""

    def __init__(self, message: str, erp_id: str) -> None:
        super().__init__(message)
        self.erp_id = erp_id


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    RELEASED = "released"
    LINKED = "linked"
    UNCHANGED = "unchanged"
    FAILED = "failed"


def ensure_erp_quote(ctx: Context, crm_quote: Row, setup: SalesSetup) -> tuple[Row, Outcome]:
    """The ERP quote coupled to this CRM quote, made (or taken over from the earlier
    revision) when there is none."""
    coupling = ctx.state.couplings_by_crm(MAPPING, [crm_quote.id]).get(crm_quote.id)
    if coupling is not None:
        existing = ctx.erp.get_many("salesQuotes", [coupling.erp_id]).get(coupling.erp_id)
        if existing is not None:
            return existing, Outcome.UNCHANGED
        ctx.state.delete_couplings([coupling.id])  # the ERP quote is gone: make it again
    document = _document(ctx, crm_quote, setup)
    earlier = _earlier_revision(ctx, crm_quote)
    if earlier is None:
        [written] = ctx.erp.insert_many(
            "salesQuotes", [{**document.header, "salesQuoteLines": document.lines}]
        )
        if not written.ok or written.row is None:
            raise RecordError(f"{QUOTE.cannot}: the ERP refused it: {written.error}")
        ctx.state.save_couplings([new_coupling(ctx.ids(), MAPPING, written.row.id, crm_quote.id)])
        _add_notes(ctx, written.row, document.notes)
        return written.row, Outcome.CREATED
    old_coupling_id, erp_quote = earlier
    try:
        _rebuild(ctx, erp_quote, document)
    except RecordError as exc:
        raise ErpQuoteError(str(exc), erp_quote.id) from exc
    # The coupling moves to the new revision only once the ERP quote is rebuilt: after a
    # failure the next run finds the earlier revision's coupling and tries again.
    ctx.state.delete_couplings([old_coupling_id])
    ctx.state.save_couplings([new_coupling(ctx.ids(), MAPPING, erp_quote.id, crm_quote.id)])
    rebuilt = ctx.erp.get_many("salesQuotes", [erp_quote.id]).get(erp_quote.id)
    return rebuilt or erp_quote, Outcome.UPDATED


@dataclass
class _Document:
    """What the ERP quote gets, read from the CRM before anything is written."""

    header: dict[str, Any]
    lines: list[dict[str, Any]]
    notes: list[dict[str, Any]]


def _document(ctx: Context, crm_quote: Row, setup: SalesSetup) -> _Document:
    v = crm_quote.values
    header = document_header(ctx, v, QUOTE)
    if v.get("effectiveto"):
        header["validUntilDate"] = str(v["effectiveto"])[:10]
    details = [
        r
        for page in ctx.crm.query(
            "quotedetails", filters=(Condition("quoteid", Op.EQ, crm_quote.id),)
        )
        for r in page
    ]
    details.sort(key=lambda r: (r.values.get("sequencenumber") or 0, r.id))
    lines: list[dict[str, Any]] = []
    for detail in details:
        lines += document_lines(ctx, "sales quote", v.get("quotenumber"), detail, setup, len(lines))
    lines += freight_lines(v, setup, len(lines))
    return _Document(header, lines, _notes(ctx, crm_quote))


def _notes(ctx: Context, crm_quote: Row) -> list[dict[str, Any]]:
    """The quote's CRM notes that are not attachments, as ERP notes (oldest first)."""
    annotations = [
        r
        for page in ctx.crm.query(
            "annotations", filters=(Condition("objectid", Op.EQ, crm_quote.id),)
        )
        for r in page
        if not r.values.get("isdocument") and not r.values.get("filesize")
    ]
    annotations.sort(key=lambda r: (str(r.values.get("createdon") or ""), r.id))
    return [
        {
            "parentType": "Sales Quote",
            "title": str(r.values.get("subject") or ""),
            "note": str(r.values.get("notetext") or ""),
            **({"createdDateTime": r.values["createdon"]} if r.values.get("createdon") else {}),
        }
        for r in annotations
    ]


def _add_notes(ctx: Context, erp_quote: Row, notes: Sequence[dict[str, Any]]) -> None:
    if not notes:
        return
    written = ctx.erp.insert_many("notes", [{**n, "parentId": erp_quote.id} for n in notes])
    refused = [w.error for w in written if not w.ok]
    if refused:
        raise RecordError(
            f"The sales quote {erp_quote.values.get('number')} could not get its notes: "
            f"{refused[0]}"
        )


def _earlier_revision(ctx: Context, crm_quote: Row) -> tuple[str, Row] | None:
    """The coupling id and ERP quote of the latest earlier revision coupled to an ERP quote
    that still exists; None for a first revision or when there is none."""
    v = crm_quote.values
    if not v.get("revisionnumber") or not v.get("quotenumber"):
        return None
    revised = [
        r
        for page in ctx.crm.query(
            "quotes",
            filters=(
                Condition("quotenumber", Op.EQ, v["quotenumber"]),
                Condition("statecode", Op.EQ, CLOSED),
                Condition("statuscode", Op.EQ, REVISED),
            ),
        )
        for r in page
        if r.id != crm_quote.id
    ]
    revised.sort(key=lambda r: int(str(r.values.get("revisionnumber") or 0)), reverse=True)
    couplings = ctx.state.couplings_by_crm(MAPPING, [r.id for r in revised])
    for row in revised:
        coupling = couplings.get(row.id)
        if coupling is None:
            continue
        erp_quote = ctx.erp.get_many("salesQuotes", [coupling.erp_id]).get(coupling.erp_id)
        if erp_quote is not None:
            return coupling.id, erp_quote
    return None


def _rebuild(ctx: Context, erp_quote: Row, document: _Document) -> None:
    number = erp_quote.values.get("number")
    archive_quote(ctx, erp_quote)
    if erp_quote.values.get("status") == RELEASED:
        _act(ctx, "reopen", erp_quote)
    old_lines = _children(ctx, "salesQuoteLines", "documentId", erp_quote.id)
    # Attached comment lines go with the line they belong to.
    _delete(
        ctx, "salesQuoteLines", [r for r in old_lines if not r.values.get("attachedToSequence")]
    )
    _delete(ctx, "salesQuoteLines", _children(ctx, "salesQuoteLines", "documentId", erp_quote.id))
    _delete(ctx, "notes", _children(ctx, "notes", "parentId", erp_quote.id))
    [updated] = ctx.erp.update_many("salesQuotes", [(erp_quote.id, document.header)])
    if not updated.ok:
        raise RecordError(f"The sales quote {number} could not be updated: {updated.error}")
    written = ctx.erp.insert_many(
        "salesQuoteLines", [{**line, "documentId": erp_quote.id} for line in document.lines]
    )
    refused = [w.error for w in written if not w.ok]
    if refused:
        raise RecordError(f"The sales quote {number} could not get its new lines: {refused[0]}")
    _add_notes(ctx, erp_quote, document.notes)


def _children(ctx: Context, table: str, parent_field: str, parent_id: str) -> list[Row]:
    return [
        r
        for page in ctx.erp.query(table, filters=(Condition(parent_field, Op.EQ, parent_id),))
        for r in page
    ]


def _delete(ctx: Context, table: str, rows: Sequence[Row]) -> None:
    if not rows:
        return
    refused = [w.error for w in ctx.erp.delete_many(table, [r.id for r in rows]) if not w.ok]
    if refused:
        raise RecordError(f"Deleting the old {table} of the sales quote failed: {refused[0]}")


def release_quote(ctx: Context, erp_quote: Row) -> bool:
    """Releases the ERP quote; False when it was released already."""
    if erp_quote.values.get("status") == RELEASED:
        return False
    _act(ctx, "release", erp_quote)
    return True


def _act(ctx: Context, action: str, erp_quote: Row) -> None:
    done = ctx.erp.act(action, table="salesQuotes", row_id=erp_quote.id)
    if not done.ok:
        raise RecordError(
            f"The sales quote {erp_quote.values.get('number')} could not be {_DONE[action]}: "
            f"{done.error}"
        )
