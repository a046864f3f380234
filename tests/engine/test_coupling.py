"""Match-based coupling (§3.2), set up coupling, create-in, uncouple, Synchronize Now (§3.5),
option mappings (§2.7)."""

from __future__ import annotations

import dataclasses

import pytest

from couplet.engine.errors import CouplingError, MappingError
from couplet.engine.manual import (
    couple,
    create_in,
    restore_skipped,
    sync_now_choice,
    synchronize_now,
    uncouple,
)
from couplet.engine.matching import match_and_couple
from couplet.engine.model import Direction, JobType, Ref, Side, UpdateConflict

from .world import BI, FROM, TO, World, counts


def test_match_by_name_case_insensitively_and_skip_ambiguous_and_taken_matches() -> None:
    w = World()
    adatum = w.customer("Adatum")
    twin = w.customer("Contoso")
    lone = w.customer("Northwind")
    a = w.account("ADATUM")
    w.account("Contoso")
    w.account("contoso")  # two candidates: ambiguous

    result = match_and_couple(w.ctx, "CUSTOMER", create_new=False, sync_after=False)

    assert result.coupled == {adatum.id: a.id}
    assert set(result.unmatched) == {twin.id, lone.id}
    assert result.job.type is JobType.COUPLING
    assert (result.job.coupled, result.job.failed) == (1, 2)
    [error] = w.state.job_errors(result.job.id)
    assert error.message == (
        "Could not couple 2 record(s): no unique uncoupled match found in Dataverse with the "
        "given criteria."
    )
    again = match_and_couple(w.ctx, "CUSTOMER", create_new=False, sync_after=False)
    assert again.coupled == {}  # already coupled rows are left out, the taken account too


def test_case_sensitive_criterion_and_priorities() -> None:
    w = World()
    fields = tuple(
        dataclasses.replace(fm, case_sensitive_matching=True)
        if fm.erp_field == "displayName"
        else fm
        for fm in w.mappings["CUSTOMER"].fields
    )
    w.change("CUSTOMER", fields=fields)
    c = w.customer("Adatum", email="info@adatum.test")
    w.account("ADATUM")
    by_mail = w.account("Adatum Corp", emailaddress1="INFO@adatum.test")

    result = match_and_couple(w.ctx, "CUSTOMER", create_new=False, sync_after=False)

    # priority 0 (name, case-sensitive) finds nothing; priority 1 (e-mail) finds one.
    assert result.coupled == {c.id: by_mail.id}


def test_blank_criteria_give_no_condition() -> None:
    w = World()
    c = w.customer("", email="x@y.test")
    a = w.account("Something", emailaddress1="x@y.test")

    result = match_and_couple(w.ctx, "CUSTOMER", create_new=False, sync_after=False)

    assert result.coupled == {c.id: a.id}


def test_no_criteria_is_an_error() -> None:
    w = World()
    with pytest.raises(MappingError, match="specify the fields to match on"):
        match_and_couple(w.ctx, "CUSTOMER", fields=["nothing"])


def test_unmatched_are_created_and_coupled_and_matches_synchronized() -> None:
    w = World()
    w.change("CUSTOMER", update_conflict=UpdateConflict.SEND_TO_CRM)
    matched = w.customer("Adatum", phoneNumber="1")
    a = w.account("adatum", telephone1="0")
    fresh = w.customer("Northwind")

    result = match_and_couple(w.ctx, "CUSTOMER", create_new=True, sync_after=True)

    assert result.coupled == {matched.id: a.id}
    assert w.partner_of("CUSTOMER", fresh.id).values["name"] == "Northwind"
    assert w.crm.row("accounts", a.id).values["telephone1"] == "1"  # ERP sent after coupling
    assert len(w.crm.rows("accounts")) == 2


def test_couple_validates_and_can_synchronize_right_away() -> None:
    w = World()
    c = w.customer("Adatum", phoneNumber="7")
    a = w.account("Adatum Ltd")
    other = w.customer("Other")

    coupling, jobs = couple(w.ctx, "CUSTOMER", c.id, a.id, sync=TO)

    assert [counts(j) for j in jobs] == [{"modified": 1}]
    assert w.crm.row("accounts", a.id).values["telephone1"] == "7"
    with pytest.raises(CouplingError, match="already coupled"):
        couple(w.ctx, "CUSTOMER", other.id, a.id)
    w.erp.remove("customers", c.id)  # a stale coupling to a deleted ERP row is dropped
    replaced, _ = couple(w.ctx, "CUSTOMER", other.id, a.id)
    assert w.state.couplings_by_crm("CUSTOMER", [a.id]) == {a.id: replaced}
    assert coupling.id not in w.state.couplings
    with pytest.raises(CouplingError, match="does not exist"):
        couple(w.ctx, "CUSTOMER", "missing", a.id)


def test_create_in_crm_and_erp_skip_validly_coupled_and_repair_broken_couplings() -> None:
    w = World()
    w.change("CUSTOMER", only_coupled=True)
    c = w.customer("Adatum")
    jobs, already = create_in(w.ctx, "CUSTOMER", Side.CRM, [c.id])
    assert counts(jobs[0]) == {"inserted": 1} and already == []
    _, already = create_in(w.ctx, "CUSTOMER", Side.CRM, [c.id])
    assert already == [c.id]
    w.crm.remove("accounts", w.coupling("CUSTOMER", erp_id=c.id).crm_id)
    jobs, _ = create_in(w.ctx, "CUSTOMER", Side.CRM, [c.id])
    assert counts(jobs[0]) == {"inserted": 1}

    a = w.account("Fabrikam")
    jobs, _ = create_in(w.ctx, "CUSTOMER", Side.ERP, [a.id])
    assert jobs[0].direction is FROM and counts(jobs[0]) == {"inserted": 1}


def test_uncouple_one_and_all() -> None:
    w = World()
    a, b = w.customer("A"), w.customer("B")
    w.customer("C")
    w.sync()

    job = uncouple(w.ctx, "CUSTOMER", erp_ids=[a.id])
    assert job.type is JobType.UNCOUPLING and job.uncoupled == 1
    assert w.state.couplings_by_erp("CUSTOMER", [a.id, b.id]).keys() == {b.id}
    assert uncouple(w.ctx, "CUSTOMER", everything=True).uncoupled == 2
    assert w.state.couplings == {}


def test_sync_now_choice_follows_what_changed() -> None:
    w = World()
    c = w.customer("Adatum", phoneNumber="1")
    w.sync()
    crm_id = w.coupling("CUSTOMER", erp_id=c.id).crm_id

    choice = sync_now_choice(w.ctx, "CUSTOMER", erp_id=c.id)
    assert choice.choices == (TO, FROM, BI) and choice.recommended is BI  # neither changed

    w.crm.edit("accounts", crm_id, telephone1="2")
    assert sync_now_choice(w.ctx, "CUSTOMER", erp_id=c.id).recommended is FROM
    w.erp.edit("customers", c.id, phoneNumber="3")
    both = sync_now_choice(w.ctx, "CUSTOMER", erp_id=c.id)
    assert both.bidirectional_field_differs and both.choices == (TO, FROM)
    assert "not possible" in both.warning

    assert not sync_now_choice(w.ctx, "CUSTOMER", erp_id="nope").coupled

    result = synchronize_now(w.ctx, "CUSTOMER", FROM, crm_ids=[crm_id])
    assert result.scheduled == 1 and result.failed == 0
    assert w.erp.row("customers", c.id).values["phoneNumber"] == "2"


def test_one_way_mapping_asks_to_confirm_overwriting_newer_data() -> None:
    w = World()
    eur, crm_eur = w.euro()
    assert sync_now_choice(w.ctx, "CURRENCY", erp_id=eur.id).choices == (TO,)
    w.erp.edit("currencies", eur.id, displayName="Euro (EU)")
    w.crm.edit("transactioncurrencies", crm_eur.id, currencyname="EURO")
    choice = sync_now_choice(w.ctx, "CURRENCY", erp_id=eur.id)
    assert choice.confirm_overwrite and "newer" in choice.warning


def test_bulk_synchronize_now_skips_uncoupled_skipped_and_target_changed_records() -> None:
    w = World()
    a, b, c = w.customer("A"), w.customer("B"), w.customer("C")
    w.sync()
    lone = w.customer("Lone")
    w.crm.edit("accounts", w.coupling("CUSTOMER", erp_id=b.id).crm_id, telephone1="9")
    skipped = dataclasses.replace(w.coupling("CUSTOMER", erp_id=c.id), skipped=True)
    w.state.save_couplings([skipped])

    result = synchronize_now(w.ctx, "CUSTOMER", TO, erp_ids=[a.id, b.id, c.id, lone.id])

    assert result.scheduled == 1
    assert set(result.skipped) == {b.id, c.id, lone.id}
    assert "not coupled" in result.skipped[lone.id]
    assert "skipped before" in result.skipped[c.id]
    assert result.summary == "Synchronized 1 of 4 records. 0 failed. 3 skipped."

    from_list = synchronize_now(w.ctx, "CUSTOMER", TO, erp_ids=[c.id], from_couplings=True)
    assert from_list.scheduled == 1
    assert not w.coupling("CUSTOMER", erp_id=c.id).skipped
    assert restore_skipped(w.ctx) == 0


def test_option_mapping_to_crm_couples_by_label_and_adds_missing_options() -> None:
    w = World()
    column = ("accounts", "paymenttermscode")
    w.options.options_by_column[column] = {1: "Net 30", 2: "Net 60"}
    net30 = w.erp.add("paymentTerms", code="NET 30")
    cod = w.erp.add("paymentTerms", code="COD")

    [job] = w.sync("PAYMENT TERMS", only_coupled=False)

    assert (job.coupled, job.inserted) == (1, 1)
    assert w.coupling("PAYMENT TERMS", erp_id=net30.id).crm_id == "1"
    added = int(w.coupling("PAYMENT TERMS", erp_id=cod.id).crm_id)
    assert w.options.options(*column)[added] == "COD"
    assert counts(w.sync("PAYMENT TERMS", only_coupled=False)[0]) == {}
    w.erp.edit("paymentTerms", cod.id, code="CASH")
    [job] = w.sync("PAYMENT TERMS")
    assert job.failed == 1
    assert "rename one of them" in w.state.job_errors(job.id)[0].message


def test_option_mapping_from_crm_creates_or_updates_erp_codes() -> None:
    w = World()
    w.change(
        "PAYMENT TERMS",
        direction=Direction.CRM_TO_ERP,
        fields=(dataclasses.replace(w.mappings["PAYMENT TERMS"].fields[0], direction=FROM),),
    )
    w.options.options_by_column[("accounts", "paymenttermscode")] = {1: "Net 30", 2: "Net 60"}
    existing = w.erp.add("paymentTerms", code="net 30")

    [job] = w.sync("PAYMENT TERMS", only_coupled=False)

    assert (job.coupled, job.inserted) == (1, 1)
    assert w.coupling("PAYMENT TERMS", crm_id="1").erp_id == existing.id
    w.options.options_by_column[("accounts", "paymenttermscode")][2] = "Net 60 days"
    [job] = w.sync("PAYMENT TERMS")
    assert job.modified == 2  # the renamed option, and the matched code takes the CRM's case
    assert w.erp.row("paymentTerms", existing.id).values["code"] == "Net 30"
    erp_id = w.coupling("PAYMENT TERMS", crm_id="2").erp_id
    assert w.erp.row("paymentTerms", erp_id).values["code"] == "Net 60 days"


def test_match_and_couple_on_an_option_mapping_runs_the_option_coupling() -> None:
    w = World()
    w.options.options_by_column[("accounts", "paymenttermscode")] = {1: "NET30"}
    net30 = w.erp.add("paymentTerms", code="NET30")
    result = match_and_couple(w.ctx, "PAYMENT TERMS")
    assert result.job.coupled == 1
    assert w.coupling("PAYMENT TERMS", erp_id=net30.id).crm_id == "1"


def test_lookup_criterion_matches_within_the_coupled_partner() -> None:
    w = World()
    fields = tuple(
        dataclasses.replace(fm, use_for_matching=True) if fm.lookup == "CURRENCY" else fm
        for fm in w.mappings["CUSTOMER"].fields
    )
    w.change("CUSTOMER", fields=fields)
    eur_erp, eur_crm = w.euro()
    usd = w.erp.add("currencies", code="USD", displayName="US dollar")
    in_euro = w.customer("Contoso", currencyId=eur_erp.id)
    in_dollars = w.customer("Contoso", currencyId=usd.id)  # USD is not coupled yet
    w.account("Contoso", transactioncurrencyid=Ref("transactioncurrencies", "other"))
    euro_account = w.account(
        "Contoso", transactioncurrencyid=Ref("transactioncurrencies", eur_crm.id)
    )

    result = match_and_couple(w.ctx, "CUSTOMER", create_new=False, sync_after=False)

    # The name alone is ambiguous; the currency, translated through CURRENCY, is not. A
    # reference to an uncoupled row cannot match anything.
    assert result.coupled == {in_euro.id: euro_account.id}
    assert result.unmatched == [in_dollars.id]
