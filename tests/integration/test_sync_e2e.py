"""End to end over HTTP: the engine couples and synchronizes the two reference services."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import ERP_ROOTS, Systems
from tests.integration.engine_cli import cli


def _seed(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    for name, city in (
        ("Adatum Corporation", "Atlanta"),
        ("Trey Research", "Chicago"),
        ("Coho Winery", "Seattle"),
    ):
        erp.create("customers", {"displayName": name, "city": city})
    for name in ("Trey Research", "Fourth Coffee"):
        crm.create("accounts", {"name": name, "customertypecode": 3, "address1_city": "Boston"})
    crm.create("accounts", {"name": "A prospect", "customertypecode": 8})
    erp.create("items", {"displayName": "Touring Bike", "unitPrice": 1200})


def _accounts(systems: Systems) -> dict[str, dict[str, Any]]:
    rows = systems.crm.get("accounts", params={"$filter": "customertypecode eq 3"}).json()
    return {r["name"]: r for r in rows["value"]}


def _customers(systems: Systems) -> dict[str, dict[str, Any]]:
    return {c["displayName"]: c for c in systems.erp.rows("customers")}


@pytest.mark.parametrize(("backend", "erp_root"), ERP_ROOTS)
def test_full_sync_then_incremental_both_ways_without_ping_pong(systems: Systems) -> None:
    _seed(systems)
    cli(systems, "setup", *systems.setup, "--enable", "--test")
    review = json.loads(cli(systems, "full-sync", "--json"))
    by_name = {r["name"]: r for r in review}
    assert by_name["CUSTOMER"]["recommendation"] == "couple-records"
    assert by_name["ITEM-PRODUCT"]["recommendation"] == "full-synchronization"
    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, cli(systems, "errors"))

    accounts, customers = _accounts(systems), _customers(systems)
    # Both sides hold every customer once: matched by name, created where missing.
    assert (
        set(accounts)
        == set(customers)
        == {"Adatum Corporation", "Trey Research", "Coho Winery", "Fourth Coffee"}
    )
    assert accounts["Adatum Corporation"]["address1_city"] == "Atlanta"
    assert "A prospect" not in customers  # relationship type Prospect is filtered out
    products = systems.crm.get("products").json()["value"]
    assert [p["name"] for p in products] == ["Touring Bike"] and products[0]["price"] == 1200
    terms = systems.crm.get(
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName="
        "'paymenttermscode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        params={"$expand": "OptionSet"},
    ).json()
    labels = {o["Label"]["UserLocalizedLabel"]["Label"] for o in terms["OptionSet"]["Options"]}
    erp_terms = {t["code"] for t in systems.erp.rows("paymentTerms")}
    assert erp_terms <= labels

    # Nothing changed: a second run writes nothing anywhere (no ping-pong).
    quiet = json.loads(cli(systems, "sync", "--json"))
    assert all(j["inserted"] == j["modified"] == j["failed"] == 0 for j in quiet), quiet

    # A change on each side arrives on the other once, and is not echoed back.
    trey = accounts["Trey Research"]
    systems.crm.patch(f"accounts({trey['accountid']})", {"telephone1": "555-0150"})
    adatum = customers["Adatum Corporation"]
    systems.erp.patch(f"customers({adatum['id']})", {"phoneNumber": "555-0199"})
    jobs = json.loads(cli(systems, "sync", "CUSTOMER", "--json"))
    assert sum(j["modified"] for j in jobs) == 2, jobs
    assert _customers(systems)["Trey Research"]["phoneNumber"] == "555-0150"
    assert _accounts(systems)["Adatum Corporation"]["telephone1"] == "555-0199"
    again = json.loads(cli(systems, "sync", "CUSTOMER", "--json"))
    assert all(j["modified"] == j["inserted"] == 0 for j in again), again

    log = json.loads(cli(systems, "jobs", "--json"))
    assert log and {"inserted", "modified", "unchanged", "failed"} <= set(log[0])


def test_a_sleeping_job_wakes_when_its_data_changes(systems: Systems) -> None:
    _seed(systems)
    cli(systems, "setup", *systems.setup, "--enable")
    cli(systems, "full-sync", "--start")
    engine = systems.engine()
    try:
        worker = engine.worker()
        worker.run_until_idle()  # every mapping runs, finds nothing new, and goes to sleep
        entry = engine.queue.get("CUSTOMER")
        assert entry is not None and entry.status.value == "on-hold-inactivity"
        assert engine.wake_changed() == []
        account = next(iter(_accounts(systems).values()))
        systems.crm.patch(f"accounts({account['accountid']})", {"telephone1": "555-0123"})
        assert engine.wake_changed() == ["CUSTOMER"]
        worker.run_until_idle()
        customer = _customers(systems)[account["name"]]
        assert customer["phoneNumber"] == "555-0123"
    finally:
        engine.close()
