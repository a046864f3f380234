"""The CRM statistics job (docs/behaviour.md §7.2): account statistics from the ERP's
customer statistics, and invoice payment status following payments and their undoing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from couplet.flows.statistics import NAME
from couplet.operations.integration import Integration
from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, cli_json, engine_api
from tests.integration.test_invoices_e2e import coupled_world, pay, posted_invoice, state


def _statistics(systems: Systems, account_id: str) -> list[dict[str, Any]]:
    flt = f"_nav_accountid_value eq {account_id}"
    return list(systems.crm.get("nav_accountstatisticses", params={"$filter": flt}).json()["value"])


def _erp_figures(systems: Systems, customer_id: str) -> dict[str, Any]:
    [row] = systems.erp.rows(
        "customerStatistics", custom=True, **{"$filter": f"customerId eq {customer_id}"}
    )
    return row


def _run_job(engine: Integration) -> dict[str, int]:
    """One run of the statistics job as the worker runs it; the job's counters."""
    entry = engine.queue.get(NAME)
    assert entry is not None
    engine.run_entry(entry)
    job = engine.state.jobs("CUSTOMER STATISTICS")[0]
    return {k: getattr(job, k) for k in ("inserted", "modified", "unchanged", "failed")}


def test_statistics_job_uploads_refreshes_and_follows_payments(systems: Systems) -> None:
    w = coupled_world(systems)
    invoice = posted_invoice(systems, w)
    [created] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    crm_id = created["crm_id"]
    engine = systems.engine()
    try:
        engine.schedule_flows()
        # First run: the account gets its statistics row with the ERP's figures.
        assert _run_job(engine) == {"inserted": 1, "modified": 0, "unchanged": 0, "failed": 0}
        [row] = _statistics(systems, w["account"]["accountid"])
        figures = _erp_figures(systems, w["customer"]["id"])
        assert row["nav_customerno"] == w["customer"]["number"]
        for erp, crm in (("balance", "nav_balancelcy"), ("totalSales", "nav_totalsaleslcy")):
            assert Decimal(str(row[crm])) == Decimal(str(figures[erp])), crm
        assert Decimal(str(row["nav_balancelcy"])) == Decimal(
            str(invoice["totalAmountIncludingTax"])
        )
        # Nothing changed: nothing to do, nothing written.
        assert NAME not in engine.wake_changed()
        assert _run_job(engine) == {"inserted": 0, "modified": 0, "unchanged": 0, "failed": 0}
        # A partial payment: the balance drops and the invoice becomes Paid / Partial.
        payment = pay(systems, invoice, 1000)
        assert NAME in engine.wake_changed()
        counters = _run_job(engine)
        assert counters["modified"] == 2 and counters["failed"] == 0  # statistics + invoice
        assert state(systems, crm_id) == (2, 100002)
        [row] = _statistics(systems, w["account"]["accountid"])
        left = Decimal(str(invoice["totalAmountIncludingTax"])) - 1000
        assert Decimal(str(row["nav_balancelcy"])) == left
        # The rest paid: Paid / Complete (the CRM invoice is reactivated on the way).
        pay(systems, invoice, float(left))
        _run_job(engine)
        assert state(systems, crm_id) == (2, 100001)
        # Undoing the first payment: the invoice is partly paid again.
        r = systems.erp.action(
            f"customerLedgerEntries({payment['id']})/Microsoft.NAV.unapply", custom=True
        )
        assert r.status_code == 204, r.text
        _run_job(engine)
        assert state(systems, crm_id) == (2, 100002)
        # Undoing every payment: Active / Billed.
        for entry in systems.erp.rows("customerLedgerEntries", custom=True):
            if entry["documentType"] == "Payment" and entry["open"] is False:
                systems.erp.action(
                    f"customerLedgerEntries({entry['id']})/Microsoft.NAV.unapply", custom=True
                )
        _run_job(engine)
        assert state(systems, crm_id) == (0, 4)
    finally:
        engine.close()


def test_new_posting_refreshes_the_statistics(systems: Systems) -> None:
    w = coupled_world(systems)
    engine = systems.engine()
    try:
        engine.schedule_flows()
        _run_job(engine)
        [before] = _statistics(systems, w["account"]["accountid"])
        assert Decimal(str(before["nav_balancelcy"])) == 0
        invoice = posted_invoice(systems, w)
        assert _run_job(engine)["modified"] == 1
        [after] = _statistics(systems, w["account"]["accountid"])
        assert after["nav_accountstatisticsid"] == before["nav_accountstatisticsid"]
        assert Decimal(str(after["nav_balancelcy"])) == Decimal(
            str(invoice["totalAmountIncludingTax"])
        )
        assert Decimal(str(after["nav_totalsaleslcy"])) == Decimal(
            str(invoice["totalAmountExcludingTax"])
        )
    finally:
        engine.close()


def test_update_statistics_for_one_customer(systems: Systems) -> None:
    w = coupled_world(systems)
    invoice = posted_invoice(systems, w)
    [created] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    pay(systems, invoice, 10)
    number = w["customer"]["number"]
    out = cli_json(systems, "statistics", "update", number)
    assert [(c["customer_number"], c["result"]) for c in out["customers"]] == [(number, "inserted")]
    assert out["invoices_changed"] == 1
    assert out["message"] == "The customer statistics have been successfully updated in Dataverse."
    assert state(systems, created["crm_id"]) == (2, 100002)
    assert "successfully updated" in cli(systems, "statistics", "update", number)
    stranger = systems.erp.create("customers", {"displayName": "Not coupled"})
    out = cli_json(systems, "statistics", "update", stranger["number"], code=1)
    assert f"Customer {stranger['number']} must be coupled" in out["customers"][0]["message"]
    with engine_api(systems) as web:
        r = web.post("/api/v1/statistics/update", json={"customer_numbers": [number]})
        assert r.status_code == 200, r.text
        assert r.json()["customers"][0]["result"] == "unchanged"
        assert web.post("/api/v1/statistics/update").json()["failed"] == 0
