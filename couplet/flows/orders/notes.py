"""The sales order notes job (docs/behaviour.md §5.3 "Notes"; §1.4, every 5 minutes):
notes on coupled orders go both ways.

CRM annotations on the order that are plain notes (no attachment) become ERP notes on the
sales order, and ERP notes on the order become annotations; a note changed on one side
changes its partner. Each pair is remembered as a coupling of the pseudo mapping
`ORDER NOTES` with both rows' stamps, so a note is copied once and a copy is never read
back as a new note (no echo).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...engine.context import Context
from ...engine.couplings import changed_since_sync, mark_success, new_coupling
from ...engine.model import Condition, Coupling, Direction, JobLog, Op, Ref, Row, Side
from ...engine.transfer import reference_key
from ..flow import Flow
from .coupled import changed_since_run, record_failure, rows_by_parent, run_over_orders

NAME = "SALES ORDER NOTES"
NOTES = "ORDER NOTES"
CURSOR = "order-notes:last-run"
TABLES = {Side.ERP: "notes", Side.CRM: "annotations"}
PARENT = {Side.ERP: "parentId", Side.CRM: "objectid"}


def run_notes(ctx: Context) -> JobLog:
    """One run over every coupled order: notes created on the other side (inserted) and
    notes changed there (modified)."""
    return run_over_orders(ctx, NAME, Direction.BIDIRECTIONAL, CURSOR, _chunk)


def _chunk(ctx: Context, job: JobLog, couplings: Sequence[Coupling]) -> None:
    erp_parent = {c.crm_id: c.erp_id for c in couplings}
    crm_parent = {c.erp_id: c.crm_id for c in couplings}
    annotations = rows_by_parent(
        ctx.crm, "annotations", "objectid", list(erp_parent), Condition("isdocument", Op.EQ, False)
    )
    notes = rows_by_parent(
        ctx.erp,
        "notes",
        "parentId",
        list(crm_parent),
        Condition("parentType", Op.EQ, "Sales Order"),
    )
    # Both sides are read before anything is written, so this run's copies are not in them.
    crm_rows = [a for rows in annotations.values() for a in rows if not a.values.get("filesize")]
    erp_rows = [n for rows in notes.values() for n in rows]
    by_crm = ctx.state.couplings_by_crm(NOTES, [a.id for a in crm_rows]) if crm_rows else {}
    by_erp = ctx.state.couplings_by_erp(NOTES, [n.id for n in erp_rows]) if erp_rows else {}
    _push(ctx, job, Side.CRM, crm_rows, by_crm, erp_parent)
    _push(ctx, job, Side.ERP, erp_rows, by_erp, crm_parent)


def _push(
    ctx: Context,
    job: JobLog,
    source: Side,
    rows: Sequence[Row],
    links: Mapping[str, Coupling],
    parents: Mapping[str, str],
) -> None:
    """Sends the new and changed notes of `source` to the other side."""
    destination = source.other
    port, table = ctx.port(destination), TABLES[destination]
    new = [r for r in rows if r.id not in links]
    changed = [
        (r, links[r.id])
        for r in rows
        if r.id in links and changed_since_sync(links[r.id], source, r)
    ]
    saved: list[Coupling] = []
    bodies = [
        _note(destination, r, parents[reference_key(r.values.get(PARENT[source])) or ""])
        for r in new
    ]
    for row, result in zip(new, port.insert_many(table, bodies) if new else [], strict=True):
        if result.ok and result.row is not None:
            erp_id, crm_id = (
                (result.row.id, row.id) if source is Side.CRM else (row.id, result.row.id)
            )
            link = new_coupling(ctx.ids(), NOTES, erp_id, crm_id)
            saved.append(mark_success(link, destination, job.id, row, result.row))
            job.inserted += 1
        else:
            _failed(ctx, job, source, row, result.error)
    updates = [(link.id_on(destination), _note(destination, row, None)) for row, link in changed]
    for (row, link), result in zip(
        changed, port.update_many(table, updates) if updates else [], strict=True
    ):
        if result.ok:
            saved.append(mark_success(link, destination, job.id, row, result.row))
            job.modified += 1
        else:
            _failed(ctx, job, source, row, result.error)
    ctx.state.save_couplings(saved)


def _note(side: Side, source: Row, parent: str | None) -> dict[str, Any]:
    """A note as `side` holds it, from its partner on the other side; with `parent` (the
    order on `side`) for a new one."""
    v = source.values
    if side is Side.ERP:
        body: dict[str, Any] = {"title": v.get("subject") or "", "note": v.get("notetext") or ""}
        if parent is not None:
            body.update(parentType="Sales Order", parentId=parent)
            if v.get("createdon"):
                body["createdDateTime"] = v["createdon"]  # kept as it was written
        return body
    body = {"subject": v.get("title") or "", "notetext": v.get("note") or ""}
    if parent is not None:
        body["objectid"] = Ref("salesorders", parent)
    return body


def _failed(ctx: Context, job: JobLog, source: Side, row: Row, error: str | None) -> None:
    erp_id, crm_id = (row.id, None) if source is Side.ERP else (None, row.id)
    message = f"The order note could not be copied to {source.other.system_name}: {error}"
    record_failure(ctx, job, erp_id, crm_id, message)


def has_work(ctx: Context) -> bool:
    return changed_since_run(
        ctx,
        CURSOR,
        (
            (ctx.crm, "annotations", (Condition("objecttypecode", Op.EQ, "salesorder"),)),
            (ctx.erp, "notes", (Condition("parentType", Op.EQ, "Sales Order"),)),
        ),
    )


FLOW = Flow(
    name=NAME,
    kind="order-notes",
    description="Sales order notes: notes on coupled orders both ways",
    enabled=lambda features: features.sales_order_integration,
    run=run_notes,
    has_work=has_work,
    interval_seconds=5 * 60,
    inactivity_timeout_minutes=5,
)
