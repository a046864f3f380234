"""Full synchronization (§4): recommendations, dependency waves, statuses, resume."""

from __future__ import annotations

import dataclasses

import pytest

from couplet.engine.errors import UnknownMappingError
from couplet.engine.full_sync import recommend, restart, review, start
from couplet.engine.model import (
    Direction,
    FieldMapping,
    LineStatus,
    PassStatus,
    Recommendation,
    Ref,
    TableMapping,
)
from couplet.engine.roles import FullSyncPolicy

from .world import World


class Crash(BaseException):
    """A process dying mid-run (nothing in the engine may catch it)."""


def lines_by_name(w: World) -> dict[str, object]:
    return {line.name: line for line in w.state.full_sync_lines()}


def test_recommendations() -> None:
    w = World()
    m = w.mappings
    assert recommend(w.ctx, m["CUSTOMER"]) is Recommendation.NO_RECORDS
    assert recommend(w.ctx, m["PAYMENT TERMS"]) is Recommendation.NO_RECORDS
    assert recommend(w.ctx, m["CURRENCY"]) is Recommendation.FULL_SYNCHRONIZATION
    w.customer("A")
    assert recommend(w.ctx, m["CUSTOMER"]) is Recommendation.FULL_SYNCHRONIZATION
    w.account("B")
    assert recommend(w.ctx, m["CUSTOMER"]) is Recommendation.COUPLE_RECORDS
    w.crm.add("transactioncurrencies", isocurrencycode="USD")
    w.crm.add("transactioncurrencies", isocurrencycode="EUR")
    assert recommend(w.ctx, m["CURRENCY"]) is Recommendation.COUPLE_RECORDS
    w.erp.add("paymentTerms", code="NET30")
    assert recommend(w.ctx, m["PAYMENT TERMS"]) is Recommendation.COUPLE_RECORDS


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (FullSyncPolicy.COPY_ALL, Recommendation.FULL_SYNCHRONIZATION),
        (FullSyncPolicy.SKIP, Recommendation.NO_RECORDS),
        (FullSyncPolicy.BY_COUNTS, Recommendation.COUPLE_RECORDS),
    ],
)
def test_the_policy_decides_whatever_the_mapping_is_called(
    policy: FullSyncPolicy, expected: Recommendation
) -> None:
    w = World()
    w.customer("A")
    w.account("B")
    renamed = dataclasses.replace(w.mappings["CUSTOMER"], name="KUNDEN", full_sync=policy)
    assert recommend(w.ctx, renamed) is expected


def test_units_are_coupled_to_the_base_units_the_crm_makes() -> None:
    w = World()
    units = TableMapping(
        "ITEM UOM",
        "itemUnitsOfMeasure",
        "uoms",
        Direction.ERP_TO_CRM,
        (FieldMapping("code", "name", Direction.ERP_TO_CRM, use_for_matching=True),),
        full_sync=FullSyncPolicy.MATCH_IF_ERP_HAS_ROWS,
    )
    assert recommend(w.ctx, units) is Recommendation.NO_RECORDS
    # No CRM unit yet: the CRM makes one per unit group before this line runs.
    w.erp.add("itemUnitsOfMeasure", code="PCS")
    assert recommend(w.ctx, units) is Recommendation.COUPLE_RECORDS


def test_full_sync_runs_in_waves_and_converges_without_duplicates() -> None:
    w = World()
    w.options.options_by_column[("accounts", "paymenttermscode")] = {1: "NET30"}
    eur = w.erp.add("currencies", code="EUR", displayName="Euro")
    net30 = w.erp.add("paymentTerms", code="NET30")
    both = w.customer(
        "Adatum",
        currencyId=Ref("currencies", eur.id, label="EUR"),
        paymentTermsId=Ref("paymentTerms", net30.id),
    )
    w.customer("Northwind", currencyId=Ref("currencies", eur.id))
    w.account("adatum")
    w.account("Fabrikam")

    lines = review(w.ctx)
    recs = {line.name: line.recommendation for line in lines}
    assert recs == {
        "CURRENCY": Recommendation.FULL_SYNCHRONIZATION,
        "PAYMENT TERMS": Recommendation.COUPLE_RECORDS,
        "CUSTOMER": Recommendation.COUPLE_RECORDS,
    }
    done = {line.name: line for line in start(w.ctx)}

    assert all(line.status is LineStatus.FINISHED for line in done.values())
    # CUSTOMER waited for CURRENCY: the currency lookup resolved, nothing failed.
    assert done["CUSTOMER"].started_at >= done["CURRENCY"].finished_at  # type: ignore[operator]
    assert done["CURRENCY"].erp_to_crm_status is PassStatus.SUCCESS
    assert w.state.errors == []
    assert len(w.crm.rows("accounts")) == 3  # Adatum matched, Northwind created
    assert len(w.erp.rows("customers")) == 3  # Fabrikam, only in the CRM, created in the ERP
    account = w.partner_of("CUSTOMER", both.id)
    assert account.values["transactioncurrencyid"] == Ref(
        "transactioncurrencies", w.coupling("CURRENCY", erp_id=eur.id).crm_id
    )
    assert account.values["paymenttermscode"] == 1
    # The review is done: starting again runs nothing, scheduled runs find nothing new.
    assert {line.name: line.status for line in start(w.ctx)} == {
        name: LineStatus.FINISHED for name in done
    }
    for job in w.sync():
        assert job.inserted == job.modified == job.failed == 0


def test_a_crashed_full_sync_resumes_without_duplicates() -> None:
    w = World(page_size=2)
    for i in range(7):
        w.customer(f"C{i}")
    review(w.ctx)
    original = w.crm.insert_many
    calls = {"n": 0}

    def dying(table: str, rows: object) -> object:
        calls["n"] += 1
        if table == "accounts" and calls["n"] == 3:
            raise Crash
        return original(table, rows)  # type: ignore[arg-type]

    w.crm.insert_many = dying  # type: ignore[method-assign]
    with pytest.raises(Crash):
        start(w.ctx)
    assert lines_by_name(w)["CUSTOMER"].status is LineStatus.IN_PROCESS  # type: ignore[attr-defined]
    assert len(w.crm.rows("accounts")) == 4

    w.crm.insert_many = original  # type: ignore[method-assign]
    done = {line.name: line for line in start(w.ctx)}

    assert done["CUSTOMER"].status is LineStatus.FINISHED
    assert len(w.crm.rows("accounts")) == 7
    assert len(w.state.couplings) == 7
    assert w.state.watermarks("CUSTOMER").erp is not None  # progress handed to scheduled runs


def test_failed_records_mark_the_pass_but_finish_the_line_and_restart_resets_it() -> None:
    w = World()
    usd = w.erp.add("currencies", code="USD")
    w.customer("Adatum", currencyId=Ref("currencies", usd.id, label="USD"))
    w.crm.fail_writes("transactioncurrencies", "no exchange rate defined")
    review(w.ctx)

    done = {line.name: line for line in start(w.ctx)}

    assert done["CURRENCY"].erp_to_crm_status is PassStatus.ERROR
    assert done["CUSTOMER"].erp_to_crm_status is PassStatus.ERROR  # must be coupled
    [line] = restart(w.ctx, ["CUSTOMER"])
    assert line.status is LineStatus.NOT_STARTED


def test_a_line_whose_system_fails_is_reported_and_blocks_its_dependents() -> None:
    w = World()
    w.erp.add("currencies", code="USD")
    w.customer("Adatum")
    review(w.ctx)

    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("Dataverse is unreachable")

    w.crm.insert_many = broken  # type: ignore[method-assign]
    done = {line.name: line for line in start(w.ctx)}

    assert done["CURRENCY"].status is LineStatus.ERROR
    assert "unreachable" in done["CURRENCY"].message
    assert done["CUSTOMER"].status is LineStatus.NOT_STARTED


def test_a_failed_line_runs_once_per_start_then_again_on_the_next_start() -> None:
    w = World()
    w.erp.add("currencies", code="USD")
    w.customer("Adatum")
    review(w.ctx)
    working = w.crm.insert_many
    tries: list[str] = []

    def broken(table: str, *_: object, **__: object) -> object:
        tries.append(table)
        raise RuntimeError("Dataverse is unreachable")

    w.crm.insert_many = broken  # type: ignore[method-assign]
    assert {x.name: x for x in start(w.ctx)}["CURRENCY"].status is LineStatus.ERROR
    assert tries == ["transactioncurrencies"]  # once: a failed line is not looped on

    w.crm.insert_many = working  # type: ignore[method-assign]
    done = {line.name: line for line in start(w.ctx)}  # no restart needed

    assert done["CURRENCY"].status is LineStatus.FINISHED and not done["CURRENCY"].message
    assert done["CUSTOMER"].status is LineStatus.FINISHED
    assert len(w.crm.rows("accounts")) == 1


def test_restart_puts_back_the_failed_lines_keeping_when_they_first_ran() -> None:
    w = World()
    w.erp.add("currencies", code="USD")
    w.customer("Adatum")
    review(w.ctx)

    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("Dataverse is unreachable")

    w.crm.insert_many = broken  # type: ignore[method-assign]
    start(w.ctx)

    [line] = restart(w.ctx)  # every failed line: here CURRENCY
    assert line.name == "CURRENCY" and line.status is LineStatus.NOT_STARTED
    assert line.started_at is not None  # its next run reconciles first
    assert restart(w.ctx) == []  # nothing failed any more
    with pytest.raises(UnknownMappingError, match="NOPE"):
        restart(w.ctx, ["NOPE"])
