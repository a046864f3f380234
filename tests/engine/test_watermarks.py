"""Candidates from watermarks: closed lower bound plus ids seen at the boundary, paging,
bulk calls, progress kept page by page."""

from __future__ import annotations

import datetime as dt

import pytest

from couplet.engine.errors import RetryableError, UnavailableError
from couplet.engine.model import Row, Side, Watermarks
from couplet.engine.watermarks import advance, merged

from .world import World, counts

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_many_rows_sharing_one_timestamp_are_each_handled_exactly_once() -> None:
    w = World(page_size=3)
    w.clock.tick = dt.timedelta(0)
    moment = w.clock.now
    first = [w.customer(f"C{i}") for i in range(7)]
    w.sync()
    assert len(w.crm.rows("accounts")) == 7
    marks = w.state.watermarks("CUSTOMER")
    assert marks.erp == moment and marks.erp_seen == {c.id for c in first}

    w.clock.now = moment  # more rows stamped with the very same moment, after the run read
    late = [w.customer(f"L{i}") for i in range(2)]
    to_crm, _ = w.sync()

    assert counts(to_crm) == {"inserted": 2}
    assert {w.coupling("CUSTOMER", erp_id=c.id).erp_id for c in late} == {c.id for c in late}
    assert len(w.crm.rows("accounts")) == 9
    assert counts(w.sync()[0]) == {}


def test_rows_changed_after_the_run_started_wait_for_the_next_run() -> None:
    w = World()
    w.customer("A")
    started = w.clock.now + dt.timedelta(seconds=1)
    w.sync()
    assert w.state.watermarks("CUSTOMER").erp is not None
    assert w.state.watermarks("CUSTOMER").erp <= started  # capped at the run's start


def test_a_page_costs_one_call_of_each_kind() -> None:
    w = World(page_size=4)
    for i in range(10):
        w.customer(f"C{i}")
    w.erp.calls.clear()
    w.crm.calls.clear()
    w.state.calls.clear()

    to_crm, _ = w.sync()

    assert to_crm.inserted == 10
    assert w.erp.calls["page"] == 3
    assert w.crm.calls["insert_many"] == 3
    assert w.state.calls["couplings_by_erp"] == 3  # one per page, not per row

    for i, account in enumerate(w.crm.rows("accounts")):
        w.crm.edit("accounts", account.id, telephone1=str(i))
    w.erp.calls.clear()
    w.crm.calls.clear()
    _, from_crm = w.sync()
    assert from_crm.modified == 10
    assert w.erp.calls["get_many"] == 3 and w.erp.calls["update_many"] == 3


def test_a_run_that_stops_midway_resumes_after_the_last_finished_page_without_duplicates() -> None:
    w = World(page_size=3)
    for i in range(8):
        w.customer(f"C{i}")
    original = w.crm.insert_many
    calls = {"n": 0}

    def flaky(table: str, rows: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise UnavailableError("the CRM at http://crm.test is not answering", retry_after=1)
        return original(table, rows)  # type: ignore[arg-type]

    w.crm.insert_many = flaky  # type: ignore[method-assign]
    with pytest.raises(UnavailableError):
        w.sync()
    [stopped] = [j for j in w.state.jobs() if j.message]
    assert stopped.message.startswith("The run stopped: the CRM at http://crm.test is not")
    assert len(w.crm.rows("accounts")) == 3

    to_crm, _ = w.sync()

    assert to_crm.inserted == 5
    assert len(w.crm.rows("accounts")) == 8
    assert len(w.state.couplings) == 8


def test_a_page_that_outlasts_its_retries_fails_its_records_and_is_read_again() -> None:
    w = World(page_size=3)
    for i in range(8):
        w.customer(f"C{i}")
    original = w.crm.insert_many
    calls = {"n": 0}

    def flaky(table: str, rows: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RetryableError("POST $batch failed (HTTP 503); try again later", 1)
        return original(table, rows)  # type: ignore[arg-type]

    w.crm.insert_many = flaky  # type: ignore[method-assign]
    to_crm, _ = w.sync()  # the run goes on past the failed page

    assert (to_crm.inserted, to_crm.failed) == (5, 3)
    errors = w.state.job_errors(to_crm.id)
    assert len(errors) == 3 and all("HTTP 503" in e.message and e.source_id for e in errors)
    assert len(w.crm.rows("accounts")) == 5

    again, _ = w.sync()  # the watermark stayed before the failed page

    assert again.inserted == 3 and not again.failed
    assert len(w.crm.rows("accounts")) == 8 and len(w.state.couplings) == 8


def test_advance_never_moves_backwards_and_merges_seen_ids_at_the_same_moment() -> None:
    later = T0 + dt.timedelta(seconds=5)
    marks = Watermarks(erp=later, erp_seen=frozenset({"a"}))
    assert advance(marks, Side.ERP, [Row("b", T0)], later) == marks
    same = advance(marks, Side.ERP, [Row("c", later)], later)
    assert same.erp == later and same.erp_seen == {"a", "c"}
    capped = advance(Watermarks(), Side.CRM, [Row("x", later)], T0)
    assert capped.crm == T0
    assert merged(Watermarks(erp=T0), Watermarks(erp=later, erp_seen=frozenset({"z"}))).erp == later
    assert merged(Watermarks(erp=later), Watermarks(erp=T0)).erp == later
