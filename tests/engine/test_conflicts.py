"""Update conflicts (§2.4 step 7), deletion conflicts (§2.5), skipped records (§2.6)."""

from __future__ import annotations

from couplet.engine.model import DeletionConflict, Outcome, Ref, UpdateConflict
from couplet.engine.plan import ALREADY_SKIPPED

from .world import World, counts


def coupled_pair(w: World, **values: object) -> tuple[str, str]:
    c = w.customer("Adatum", **values)
    w.sync()
    return c.id, w.coupling("CUSTOMER", erp_id=c.id).crm_id


def test_both_sides_change_the_same_bidirectional_field_without_a_rule_fails_and_says_how() -> None:
    w = World()
    erp_id, crm_id = coupled_pair(w, phoneNumber="1")
    w.erp.edit("customers", erp_id, phoneNumber="2")
    w.crm.edit("accounts", crm_id, telephone1="3")

    to_crm, from_crm = w.sync()

    assert counts(to_crm) == {"failed": 1}
    [error] = w.state.job_errors(to_crm.id)
    assert "phoneNumber <-> telephone1" in error.message
    assert "changed in both Business Central and Dataverse" in error.message
    assert "update-conflict resolution" in error.message
    assert (error.source_id, error.destination_id) == (erp_id, crm_id)
    assert counts(from_crm) == {"failed": 1}
    assert w.erp.row("customers", erp_id).values["phoneNumber"] == "2"
    assert w.crm.row("accounts", crm_id).values["telephone1"] == "3"


def test_conflict_twice_with_the_same_error_marks_the_coupling_skipped() -> None:
    w = World()
    erp_id, crm_id = coupled_pair(w, phoneNumber="1")
    w.erp.edit("customers", erp_id, phoneNumber="2")
    w.crm.edit("accounts", crm_id, telephone1="3")
    w.sync()

    to_crm, from_crm = w.sync()  # the retry set brings both back; same error again

    assert counts(to_crm) == {"skipped": 1}
    [error] = w.state.job_errors(to_crm.id)
    assert error.message.endswith("due to a repeatable failure.")
    coupling = w.coupling("CUSTOMER", erp_id=erp_id)
    assert coupling.skipped
    assert counts(from_crm) == {}  # skipped couplings leave the retry set
    assert w.state.skipped_couplings("CUSTOMER") == [coupling]
    w.erp.edit("customers", erp_id, phoneNumber="4")
    assert counts(w.sync()[0]) == {"skipped": 1}


def test_send_update_to_crm_lets_the_erp_win_and_crm_only_edits_still_come_back() -> None:
    w = World()
    w.change("CUSTOMER", update_conflict=UpdateConflict.SEND_TO_CRM)
    erp_id, crm_id = coupled_pair(w, phoneNumber="1")
    w.erp.edit("customers", erp_id, phoneNumber="2")
    w.crm.edit("accounts", crm_id, telephone1="3", websiteurl="https://adatum.test")

    to_crm, _from_crm = w.sync()
    w.sync()

    assert counts(to_crm) == {"modified": 1}
    assert w.crm.row("accounts", crm_id).values["telephone1"] == "2"
    customer = w.erp.row("customers", erp_id).values
    assert customer["phoneNumber"] == "2"
    assert customer["website"] == "https://adatum.test"  # the CRM's one-way field was not lost
    for job in w.sync():
        assert job.modified == 0


def test_get_update_from_crm_lets_the_crm_win() -> None:
    w = World()
    w.change("CUSTOMER", update_conflict=UpdateConflict.GET_FROM_CRM)
    erp_id, crm_id = coupled_pair(w, phoneNumber="1", creditLimit=1)
    w.erp.edit("customers", erp_id, phoneNumber="2", creditLimit=2)
    w.crm.edit("accounts", crm_id, telephone1="3")

    to_crm, from_crm = w.sync()

    assert counts(to_crm) == {"skipped": 1}
    assert counts(from_crm) == {"modified": 1}
    assert w.erp.row("customers", erp_id).values["phoneNumber"] == "3"
    to_crm, _ = w.sync()  # the ERP's one-way change follows one run later
    assert counts(to_crm) == {"modified": 1}
    assert w.crm.row("accounts", crm_id).values["creditlimit"] == 2
    assert w.crm.row("accounts", crm_id).values["telephone1"] == "3"
    for job in w.sync():
        assert job.modified == 0


def test_both_changed_but_no_bidirectional_field_differs_is_merged_without_conflict() -> None:
    w = World()
    erp_id, crm_id = coupled_pair(w, creditLimit=1)
    w.erp.edit("customers", erp_id, creditLimit=2)  # erp-to-crm only
    w.crm.edit("accounts", crm_id, websiteurl="https://adatum.test")  # crm-to-erp only

    to_crm, _from_crm = w.sync()
    w.sync()

    assert counts(to_crm) == {"modified": 1}
    assert w.crm.row("accounts", crm_id).values["creditlimit"] == 2
    # The CRM's stamp was recorded just before its write, so its own edit still went back.
    assert w.erp.row("customers", erp_id).values["website"] == "https://adatum.test"
    for job in w.sync():
        assert job.modified == job.failed == 0


def test_both_changed_and_a_bidirectional_field_differs_is_a_conflict() -> None:
    # Without the last synchronized values nobody can tell which side changed the e-mail,
    # so as in BC any differing bidirectional field is a conflict when both rows changed.
    w = World()
    erp_id, crm_id = coupled_pair(w, phoneNumber="1", email="a@x.test")
    w.erp.edit("customers", erp_id, phoneNumber="2")
    w.crm.edit("accounts", crm_id, emailaddress1="b@x.test")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"failed": 1}


def test_deleted_partner_without_rule_fails_with_an_actionable_message() -> None:
    w = World()
    erp_id, crm_id = coupled_pair(w)
    w.crm.remove("accounts", crm_id)
    w.erp.edit("customers", erp_id, phoneNumber="5")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"failed": 1}
    [error] = w.state.job_errors(to_crm.id)
    assert "coupled to a deleted record (accounts" in error.message
    assert "Restore the deleted record, remove the coupling" in error.message
    assert w.coupling("CUSTOMER", erp_id=erp_id).crm_result is Outcome.FAILURE


def test_deleted_partner_with_remove_coupling_uncouples_and_writes_nothing() -> None:
    w = World()
    erp_id, crm_id = coupled_pair(w)
    w.change("CUSTOMER", deletion_conflict=DeletionConflict.REMOVE_COUPLING, only_coupled=True)
    w.crm.remove("accounts", crm_id)
    w.erp.edit("customers", erp_id, phoneNumber="5")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"uncoupled": 1}
    assert w.state.couplings_by_erp("CUSTOMER", [erp_id]) == {}
    assert w.crm.rows("accounts") == []


def test_deleted_partner_with_restore_recreates_it_and_couples_again() -> None:
    w = World()
    w.change("CUSTOMER", deletion_conflict=DeletionConflict.RESTORE)
    erp_id, crm_id = coupled_pair(w, phoneNumber="1")
    coupling_id = w.coupling("CUSTOMER", erp_id=erp_id).id
    w.crm.remove("accounts", crm_id)
    w.erp.edit("customers", erp_id, phoneNumber="5")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"inserted": 1}
    coupling = w.coupling("CUSTOMER", erp_id=erp_id)
    assert coupling.id == coupling_id and coupling.crm_id != crm_id
    assert w.crm.row("accounts", coupling.crm_id).values["telephone1"] == "5"


def test_same_error_twice_skips_then_restore_and_fix_lets_it_sync() -> None:
    w = World()
    usd = w.erp.add("currencies", code="USD", displayName="US Dollar")
    c = w.customer("Adatum")
    w.sync()
    account_id = w.coupling("CUSTOMER", erp_id=c.id).crm_id
    w.erp.edit("customers", c.id, currencyId=Ref("currencies", usd.id, label="USD"))

    first, _ = w.sync()
    second, _ = w.sync()

    assert counts(first) == {"failed": 1}
    assert counts(second) == {"skipped": 1}
    [coupling] = w.state.skipped_couplings()
    assert coupling.last_error == "currencyId USD must be coupled to a record in Dataverse"

    from couplet.engine.manual import restore_skipped

    crm_usd = w.crm.add("transactioncurrencies", isocurrencycode="USD")
    from couplet.engine.model import Coupling

    w.state.save_couplings([Coupling("cur-usd", "CURRENCY", usd.id, crm_usd.id)])
    assert restore_skipped(w.ctx, [coupling.id]) == 1
    assert w.state.skipped_couplings() == []

    third, _ = w.sync()

    assert counts(third) == {"modified": 1}
    account = w.crm.row("accounts", account_id)
    assert account.values["transactioncurrencyid"] == Ref("transactioncurrencies", crm_usd.id)
    assert w.coupling("CUSTOMER", erp_id=c.id).crm_result is Outcome.SUCCESS


def test_different_errors_in_a_row_do_not_skip() -> None:
    w = World()
    erp_id, _ = coupled_pair(w)
    w.crm.fail_writes("accounts", "first problem", times=1)
    w.crm.fail_writes("accounts", "second problem", times=1)
    w.erp.edit("customers", erp_id, phoneNumber="5")

    assert counts(w.sync()[0]) == {"failed": 1}
    assert counts(w.sync()[0]) == {"failed": 1}
    assert not w.coupling("CUSTOMER", erp_id=erp_id).skipped
    assert counts(w.sync()[0]) == {"modified": 1}  # the retry set brings it back


def test_skipped_message_for_skipped_coupling() -> None:
    assert "skipped before" in ALREADY_SKIPPED
