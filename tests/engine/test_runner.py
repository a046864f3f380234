"""One synchronization run (§2): inserts both ways, field transfer, lookups, no ping-pong."""

from __future__ import annotations

from couplet.engine.model import Direction, JobSettings, Outcome, Ref
from couplet.engine.runner import synchronize_many

from .world import FROM, TO, World, counts, eur_ref, written


def test_erp_customer_is_created_in_crm_with_its_currency_and_coupled() -> None:
    w = World()
    eur_erp, eur_crm = w.euro()
    c = w.customer("Adatum", email="a@adatum.test", currencyId=eur_ref(eur_erp.id), creditLimit=500)

    to_crm, from_crm = w.sync()

    assert to_crm.direction is TO and from_crm.direction is FROM
    assert counts(to_crm) == {"inserted": 1}
    account = w.partner_of("CUSTOMER", c.id)
    assert account.values["name"] == "Adatum"
    assert account.values["emailaddress1"] == "a@adatum.test"
    assert account.values["transactioncurrencyid"] == Ref("transactioncurrencies", eur_crm.id)
    assert account.values["creditlimit"] == 500
    assert account.values["customertypecode"] == 3  # constant written to the CRM
    # The account was written after the run started: the next run reads it, as no change.
    assert counts(from_crm) == {}
    assert counts(w.sync()[1]) == {"unchanged": 1}
    coupling = w.coupling("CUSTOMER", erp_id=c.id)
    assert coupling.crm_result is Outcome.SUCCESS
    assert coupling.crm_modified_on == account.modified_on


def test_crm_account_is_created_in_erp_with_its_currency_translated_back() -> None:
    w = World()
    eur_erp, eur_crm = w.euro()
    a = w.account(
        "Fabrikam",
        websiteurl="https://fabrikam.test",
        transactioncurrencyid=Ref("transactioncurrencies", eur_crm.id),
    )

    to_crm, from_crm = w.sync()

    assert counts(to_crm) == {}
    assert counts(from_crm) == {"inserted": 1}
    coupling = w.coupling("CUSTOMER", crm_id=a.id)
    customer = w.erp.row("customers", coupling.erp_id)
    assert customer.values["displayName"] == "Fabrikam"
    assert customer.values["website"] == "https://fabrikam.test"
    assert customer.values["currencyId"] == Ref("currencies", eur_erp.id)
    assert "customertypecode" not in customer.values  # an erp-to-crm constant never goes back


def test_no_ping_pong_second_run_without_user_changes_writes_nothing_either_way() -> None:
    w = World()
    w.euro()
    w.customer("Adatum")
    w.account("Fabrikam")
    w.sync()
    erp_writes, crm_writes = len(w.erp.writes), len(w.crm.writes)

    for _ in range(3):
        for job in w.sync():
            assert job.inserted == job.modified == job.failed == job.skipped == 0
    assert len(w.erp.writes) == erp_writes and len(w.crm.writes) == crm_writes


def test_edit_on_each_side_arrives_once_and_is_not_echoed() -> None:
    w = World()
    c = w.customer("Adatum", phoneNumber="1")
    w.sync()
    account = w.partner_of("CUSTOMER", c.id)

    w.erp.edit("customers", c.id, phoneNumber="2")
    to_crm, from_crm = w.sync()
    assert counts(to_crm) == {"modified": 1}
    assert w.crm.row("accounts", account.id).values["telephone1"] == "2"
    assert from_crm.modified == 0

    w.crm.edit("accounts", account.id, telephone1="3", websiteurl="https://adatum.test")
    to_crm, from_crm = w.sync()
    assert to_crm.modified == 0
    assert counts(from_crm) == {"modified": 1}
    assert w.erp.row("customers", c.id).values["phoneNumber"] == "3"
    assert w.erp.row("customers", c.id).values["website"] == "https://adatum.test"

    before = len(w.erp.writes) + len(w.crm.writes)
    for job in w.sync() + w.sync():
        assert job.modified == job.inserted == 0
    assert len(w.erp.writes) + len(w.crm.writes) == before


def test_modify_writes_only_the_fields_that_changed() -> None:
    w = World()
    c = w.customer("Adatum", phoneNumber="1", email="x@adatum.test")
    w.sync()
    w.crm.writes.clear()

    w.erp.edit("customers", c.id, phoneNumber="2")
    w.sync()

    assert [(op, values) for op, _, _, values in w.crm.writes] == [("update", {"telephone1": "2"})]


def test_touched_row_with_no_real_change_is_unchanged_and_writes_nothing() -> None:
    w = World()
    c = w.customer("Adatum")
    w.sync()
    w.erp.edit("customers", c.id, displayName="Adatum")  # saved again, same values
    w.crm.writes.clear()

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"unchanged": 1}
    assert w.crm.writes == []
    assert w.sync()[0].unchanged == 0  # the refresh recorded the touch: not read as changed again


def test_uncoupled_currency_fails_with_must_be_coupled_and_run_goes_on() -> None:
    w = World()
    usd = w.erp.add("currencies", code="USD", displayName="US Dollar")
    bad = w.customer("Adatum", currencyId=Ref("currencies", usd.id, label="USD"))
    good = w.customer("Contoso")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"inserted": 1, "failed": 1}
    [error] = w.state.job_errors(to_crm.id)
    assert error.source_id == bad.id and error.destination_id is None
    assert error.message == "currencyId USD must be coupled to a record in Dataverse"
    assert w.state.couplings_by_erp("CUSTOMER", [good.id])


def test_clear_value_on_failed_sync_clears_the_reference_instead_of_failing() -> None:
    w = World()
    fields = tuple(
        fm.__class__(**{**fm.__dict__, "clear_on_failed_sync": fm.lookup == "CURRENCY"})
        for fm in w.mappings["CUSTOMER"].fields
    )
    w.change("CUSTOMER", fields=fields)
    usd = w.erp.add("currencies", code="USD")
    c = w.customer("Adatum", currencyId=Ref("currencies", usd.id))

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"inserted": 1}
    assert w.partner_of("CUSTOMER", c.id).values["transactioncurrencyid"] == Ref(
        "transactioncurrencies", None
    )


def test_not_null_never_writes_a_blank_reference() -> None:
    w = World()
    fields = tuple(
        fm.__class__(**{**fm.__dict__, "not_null": fm.lookup == "CURRENCY"})
        for fm in w.mappings["CUSTOMER"].fields
    )
    w.change("CUSTOMER", fields=fields)
    _, eur_crm = w.euro()
    a = w.account("Fabrikam", transactioncurrencyid=Ref("transactioncurrencies", eur_crm.id))
    w.sync()
    erp_id = w.coupling("CUSTOMER", crm_id=a.id).erp_id
    w.erp.edit("customers", erp_id, currencyId=None, phoneNumber="9")
    w.crm.writes.clear()

    w.sync()

    assert w.crm.writes[0][3] == {"telephone1": "9"}  # the blank currency was not written
    assert w.crm.row("accounts", a.id).values["transactioncurrencyid"] == Ref(
        "transactioncurrencies", eur_crm.id
    )


def test_transformation_rule_applies_in_its_direction_only() -> None:
    from couplet.engine.model import FieldMapping, Transform

    w = World()
    fields = tuple(
        FieldMapping(
            "displayName",
            "name",
            Direction.BIDIRECTIONAL,
            transform=Transform("upper"),
            transform_direction=TO,
        )
        if fm.erp_field == "displayName"
        else fm
        for fm in w.mappings["CUSTOMER"].fields
    )
    w.change("CUSTOMER", fields=fields)
    c = w.customer("Adatum")
    a = w.account("fabrikam")

    w.sync()

    assert w.partner_of("CUSTOMER", c.id).values["name"] == "ADATUM"
    erp_id = w.coupling("CUSTOMER", crm_id=a.id).erp_id
    assert w.erp.row("customers", erp_id).values["displayName"] == "fabrikam"


def test_only_coupled_mapping_ignores_uncoupled_rows_without_counting_them() -> None:
    w = World()
    w.change("CUSTOMER", only_coupled=True)
    w.customer("Adatum")
    w.account("Fabrikam")

    for job in w.sync():
        assert counts(job) == {}
    assert w.state.couplings == {}


def test_crm_filter_keeps_other_rows_out() -> None:
    w = World()
    w.crm.add("accounts", name="A vendor", customertypecode=11)

    _, from_crm = w.sync()

    assert counts(from_crm) == {}
    assert w.erp.rows("customers") == []


def test_write_failure_of_one_record_is_logged_and_others_are_written() -> None:
    w = World()
    bad = w.customer("Bad")
    w.customer("Good")
    w.crm.fail_writes("accounts", "name is too long", when=lambda _id, v: v.get("name") == "Bad")

    to_crm, _ = w.sync()

    assert counts(to_crm) == {"inserted": 1, "failed": 1}
    [error] = w.state.job_errors(to_crm.id)
    assert error.source_id == bad.id
    assert error.message == "Creating the accounts row in Dataverse failed: name is too long"
    assert to_crm.message.startswith("1 record(s) failed")


def test_option_field_is_translated_through_the_option_mapping() -> None:
    w = World()
    net30 = w.erp.add("paymentTerms", code="NET30")
    w.options.options_by_column[("accounts", "paymenttermscode")] = {1: "NET30", 2: "NET60"}
    w.sync("PAYMENT TERMS", only_coupled=False)
    c = w.customer("Adatum", paymentTermsId=Ref("paymentTerms", net30.id, label="NET30"))

    w.sync()

    account = w.partner_of("CUSTOMER", c.id)
    assert account.values["paymenttermscode"] == 1
    w.crm.edit("accounts", account.id, paymenttermscode=None)
    w.sync()
    assert w.erp.row("customers", c.id).values["paymentTermsId"] == Ref("paymentTerms", None)


def test_uncoupled_payment_terms_fail_with_must_be_coupled() -> None:
    w = World()
    net30 = w.erp.add("paymentTerms", code="NET30")
    w.customer("Adatum", paymentTermsId=Ref("paymentTerms", net30.id, label="NET30"))

    to_crm, _ = w.sync()

    [error] = w.state.job_errors(to_crm.id)
    assert error.message == "paymentTermsId NET30 must be coupled to a record in Dataverse"


def test_targeted_run_handles_only_the_given_rows() -> None:
    w = World()
    a = w.customer("A")
    w.customer("B")

    jobs = w.sync(erp_ids=(a.id,))

    assert len(jobs) == 1 and counts(jobs[0]) == {"inserted": 1}
    assert written(w.crm, "accounts")[0][3]["name"] == "A"


def test_a_run_naming_no_mapping_runs_those_with_a_job_in_dependency_order() -> None:
    world = World()
    world.change("PAYMENT TERMS", job=JobSettings(enabled=False))
    ran = [j.mapping for j in synchronize_many(world.ctx)]
    assert "PAYMENT TERMS" not in ran
    assert ran.index("CURRENCY") < ran.index("CUSTOMER")  # dependencies first
    named = synchronize_many(world.ctx, ["PAYMENT TERMS"])
    assert {j.mapping for j in named} == {"PAYMENT TERMS"}  # named, it runs
