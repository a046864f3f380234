"""Pure engine tests of sales order integration, in memory: writing a read-only submitted
order through its write state, the status job (posts once, Invoiced once, vanished rows),
the notes job (both ways, no echo) and units on order lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from couplet.connectors.memory import MemoryRecordPort
from couplet.engine.context import Context
from couplet.engine.couplings import new_coupling
from couplet.engine.errors import RecordError
from couplet.engine.model import Direction, FieldMapping, Ref, Row, Side, TableMapping
from couplet.engine.roles import FullSyncPolicy, Role
from couplet.engine.runner import synchronize
from couplet.flows.builders.lines import SalesSetup, document_lines
from couplet.flows.orders.notes import run_notes
from couplet.flows.orders.status import run_status
from couplet.testing.clock import FakeClock
from couplet.testing.memory_state import MemoryStatePort

from .world import ITEM_PRODUCT

TO = Direction.ERP_TO_CRM
ORDERS = TableMapping(
    name="SALESORDER-ORDER",
    role=Role.SALES_ORDER,
    full_sync=FullSyncPolicy.SKIP,
    erp_table="salesOrders",
    crm_table="salesorders",
    direction=TO,
    fields=(FieldMapping("requestedDeliveryDate", "requestdeliveryby", TO),),
    crm_write_state={"statecode": 0, "statuscode": 1},
)
UOM = TableMapping(
    name="ITEM UOM",
    role=Role.ITEM_UNIT,
    full_sync=FullSyncPolicy.MATCH_IF_ERP_HAS_ROWS,
    erp_table="itemUnitsOfMeasure",
    crm_table="uoms",
    direction=TO,
    fields=(FieldMapping("code", "name", TO),),
)


def _ctx(**mappings: TableMapping) -> Context:
    clock = FakeClock(tick=dt.timedelta(milliseconds=1))
    return Context(
        erp=MemoryRecordPort(Side.ERP, clock),
        crm=MemoryRecordPort(Side.CRM, clock),
        state=MemoryStatePort(),
        clock=clock,
        mappings={"SALESORDER-ORDER": ORDERS, "ITEM-PRODUCT": ITEM_PRODUCT, **mappings},
    )


def _ports(ctx: Context) -> tuple[MemoryRecordPort, MemoryRecordPort]:
    assert isinstance(ctx.erp, MemoryRecordPort) and isinstance(ctx.crm, MemoryRecordPort)
    return ctx.erp, ctx.crm


def _coupled(ctx: Context, erp: Row | str, crm: Row, mapping: str = "SALESORDER-ORDER") -> None:
    erp_id = erp if isinstance(erp, str) else erp.id
    ctx.state.save_couplings([new_coupling(ctx.ids(), mapping, erp_id, crm.id)])


def _submitted(crm: MemoryRecordPort, **values: object) -> Row:
    return crm.add("salesorders", statecode=1, statuscode=3, ordernumber="ORD-1", **values)


def test_a_submitted_order_is_written_in_its_write_state_and_submitted_again() -> None:
    ctx = _ctx()
    erp, crm = _ports(ctx)
    order = erp.add("salesOrders", requestedDeliveryDate="2026-05-01", status="Open")
    crm_order = _submitted(crm)
    _coupled(ctx, order, crm_order)
    [job] = synchronize(ctx, "SALESORDER-ORDER")
    assert (job.modified, job.failed) == (1, 0)
    writes = [w[3] for w in crm.writes]
    assert writes == [
        {"requestdeliveryby": "2026-05-01", "statecode": 0, "statuscode": 1},
        {"statecode": 1, "statuscode": 3},
    ]
    # A row already in the write state is written once, as it is.
    crm.edit("salesorders", crm_order.id, statecode=0, statuscode=1)
    erp.edit("salesOrders", order.id, requestedDeliveryDate="2026-06-01")
    crm.writes.clear()
    synchronize(ctx, "SALESORDER-ORDER")
    assert [w[3] for w in crm.writes] == [{"requestdeliveryby": "2026-06-01"}]


def test_an_order_left_unlocked_is_a_failure_naming_why() -> None:
    ctx = _ctx()
    erp, crm = _ports(ctx)
    order = erp.add("salesOrders", requestedDeliveryDate="2026-05-01")
    _coupled(ctx, order, _submitted(crm))
    crm.fail_writes("salesorders", "no way back", when=lambda _id, v: v.get("statecode") == 1)
    [job] = synchronize(ctx, "SALESORDER-ORDER")
    assert (job.modified, job.failed) == (0, 1)
    [error] = [e for j in ctx.state.jobs() for e in ctx.state.job_errors(j.id)]
    assert "the values were written, but no way back" in error.message


def _posts(crm: MemoryRecordPort, regarding: str) -> list[str]:
    return sorted(
        str(r.values["text"])
        for r in crm.rows("posts")
        if isinstance(r.values.get("regardingobjectid"), Ref)
        and r.values["regardingobjectid"].id == regarding  # type: ignore[union-attr]
    )


def test_fully_invoiced_order_is_invoiced_once_with_posts_on_the_contacts_account() -> None:
    ctx = _ctx()
    erp, crm = _ports(ctx)
    account = crm.add("accounts", name="Adatum")
    contact = crm.add("contacts", parentcustomerid=Ref("accounts", account.id))
    crm_order = _submitted(crm, customerid=Ref("contacts", contact.id))
    erp_id = "0f0e0d0c-0000-0000-0000-000000000001"  # deleted by posting: only its invoice is left
    erp.add("salesShipments", orderId=erp_id, number="SH-1")
    erp.add("salesInvoices", orderId=erp_id, number="INV-1")
    _coupled(ctx, erp_id, crm_order)

    job = run_status(ctx)
    assert (job.inserted, job.modified, job.uncoupled, job.failed) == (5, 1, 1, 0)
    state = crm.row("salesorders", crm_order.id).values
    assert (state["statecode"], state["statuscode"]) == (4, 100003)
    assert _posts(crm, crm_order.id) == [
        "A shipment (SH-1) has been created for the order.",
        "An invoice (INV-1) has been created for the order.",
        "Order status changed to Released.",
    ]
    assert _posts(crm, account.id) == [
        "Invoice 'INV-1' for order 'ORD-1' has been posted in Business Central.",
        "Order 'ORD-1' has been posted in Business Central.",
    ]
    # Coupled again by mistake: the state is not set twice and no post repeats.
    _coupled(ctx, erp_id, crm.row("salesorders", crm_order.id))
    again = run_status(ctx)
    assert (again.inserted, again.modified, again.uncoupled) == (0, 0, 1)


def test_status_job_ignores_vanished_rows_and_remembers_only_written_posts() -> None:
    ctx = _ctx()
    erp, crm = _ports(ctx)
    # The CRM order was deleted and the ERP order posted: no error, the coupling goes.
    gone = erp.add("salesInvoices", orderId="a", number="INV-9")
    _coupled(ctx, str(gone.values["orderId"]), Row("deleted", gone.modified_on))
    # An open released order whose account vanished: an order post only.
    released = erp.add("salesOrders", status="Open")
    crm_order = _submitted(crm, customerid=Ref("accounts", "vanished"))
    _coupled(ctx, released, crm_order)
    crm.fail_writes("posts", "posts are off", times=1)
    first = run_status(ctx)
    assert (first.inserted, first.failed, first.uncoupled) == (0, 1, 1)
    second = run_status(ctx)  # the failed post is tried again, then remembered
    assert (second.inserted, second.failed) == (1, 0)
    assert run_status(ctx).inserted == 0
    assert _posts(crm, crm_order.id) == ["Order status changed to Released."]
    assert crm.rows("salesorders")[0].values["statecode"] == 1


def test_notes_go_both_ways_once_and_changes_follow() -> None:
    ctx = _ctx()
    erp, crm = _ports(ctx)
    order, crm_order = erp.add("salesOrders", status="Draft"), _submitted(crm)
    _coupled(ctx, order, crm_order)
    on_order = Ref("salesorders", crm_order.id)
    note = crm.add(
        "annotations", subject="Gate", notetext="Gate 4", objectid=on_order, isdocument=False
    )
    crm.add("annotations", subject="PDF", objectid=on_order, isdocument=True, filesize=9)
    crm.add("annotations", subject="Other", objectid=Ref("salesorders", "x"), isdocument=False)
    erp.add("notes", parentType="Sales Order", parentId=order.id, title="Credit", note="OK")

    job = run_notes(ctx)
    assert (job.inserted, job.modified, job.failed) == (2, 0, 0)
    [copy] = [n for n in erp.rows("notes") if n.values["title"] == "Gate"]
    assert copy.values["note"] == "Gate 4" and copy.values["parentId"] == order.id
    [back] = [a for a in crm.rows("annotations") if a.values["subject"] == "Credit"]
    assert back.values["notetext"] == "OK" and back.values["objectid"] == on_order

    assert (run_notes(ctx).inserted, run_notes(ctx).modified) == (0, 0)  # no echo
    crm.edit("annotations", note.id, notetext="Gate 5")
    assert run_notes(ctx).modified == 1
    assert erp.row("notes", copy.id).values["note"] == "Gate 5"
    erp.edit("notes", copy.id, note="Gate 6")
    assert run_notes(ctx).modified == 1
    assert crm.row("annotations", note.id).values["notetext"] == "Gate 6"
    assert run_notes(ctx).modified == 0


def _line(ctx: Context, unit: str | None) -> list[dict[str, object]]:
    values: Mapping[str, object] = {
        "productid": Ref("products", "p1"),
        "quantity": 1,
        "uomid": Ref("uoms", unit) if unit else None,
    }
    row = Row("line", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), values)
    return document_lines(ctx, "sales order", "ORD-1", row, SalesSetup(), 0)


def _catalogue(ctx: Context) -> tuple[Row, Row]:
    erp, crm = _ports(ctx)
    item = erp.add("items", number="1000")
    other = erp.add("items", number="2000")
    crm.add("products", {"statecode": 0, "producttypecode": 1, "name": "Bike"})
    product = crm.rows("products")[0]
    crm.tables["products"] = {"p1": Row("p1", product.modified_on, product.values)}
    ctx.state.save_couplings([new_coupling(ctx.ids(), "ITEM-PRODUCT", item.id, "p1")])
    box = erp.add("itemUnitsOfMeasure", itemId=item.id, code="BOX")
    foreign = erp.add("itemUnitsOfMeasure", itemId=other.id, code="CRATE")
    ctx.state.save_couplings(
        [
            new_coupling(ctx.ids(), "ITEM UOM", box.id, "u-box"),
            new_coupling(ctx.ids(), "ITEM UOM", foreign.id, "u-crate"),
        ]
    )
    crm.add("uoms", name="PALLET")
    return item, other


def test_line_units_come_from_the_items_coupled_units() -> None:
    ctx = _ctx(**{"ITEM UOM": UOM})
    _catalogue(ctx)
    [line] = _line(ctx, "u-box")
    assert (line["lineObjectNumber"], line["unitOfMeasureCode"]) == ("1000", "BOX")
    assert "unitOfMeasureCode" not in _line(ctx, None)[0]
    with pytest.raises(RecordError, match="CRATE does not exist for item 1000"):
        _line(ctx, "u-crate")
    pallet = _ports(ctx)[1].rows("uoms")[0].id
    with pytest.raises(RecordError, match="PALLET is not coupled to a unit of measure of item"):
        _line(ctx, pallet)


def test_legacy_units_leave_the_line_on_its_base_unit() -> None:
    ctx = _ctx()  # no ITEM UOM mapping: unit-group mode is off
    _catalogue(ctx)
    assert "unitOfMeasureCode" not in _line(ctx, "u-box")[0]
