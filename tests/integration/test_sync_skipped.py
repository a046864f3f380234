"""End to end over HTTP: a customer whose salesperson is not coupled fails, is skipped after
the same failure twice, and synchronizes once restored with its salesperson coupled."""

from __future__ import annotations

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, cli_json, counts, enable, errors, sync

ERP_TO_CRM, CRM_TO_ERP = "erp-to-crm", "crm-to-erp"
MUST_BE_COUPLED = "salespersonCode JR must be coupled to a record in Dataverse"


def test_uncoupled_salesperson_fails_then_is_skipped_then_syncs_after_restore(
    systems: Systems,
) -> None:
    erp, crm = systems.erp, systems.crm
    salesperson = erp.create("salespeoplePurchasers", {"code": "JR", "displayName": "Jim Red"})
    customer = erp.create("customers", {"displayName": "Coho Winery"})
    enable(systems)
    cli(systems, "create-in-crm", "CUSTOMER", "--erp-id", customer["id"])
    (account,) = crm.get("accounts").json()["value"]

    erp.patch(f"customers({customer['id']})", {"salespersonCode": "JR"})
    first = sync(systems, "CUSTOMER", code=1)
    # The account the engine created is its own write: echo suppression leaves it unread.
    assert first == {ERP_TO_CRM: counts(failed=1), CRM_TO_ERP: counts()}
    (error,) = errors(systems)
    assert MUST_BE_COUPLED in error["message"]
    assert (error["source_id"], error["destination_id"]) == (customer["id"], account["accountid"])
    assert cli_json(systems, "skipped") == []

    # The retry set brings the record back; the same error a second time skips it.
    second = sync(systems, "CUSTOMER")
    assert second == {ERP_TO_CRM: counts(skipped=1), CRM_TO_ERP: counts()}
    (skipped,) = cli_json(systems, "skipped")
    assert skipped["mapping"] == "CUSTOMER"
    assert (skipped["erp_id"], skipped["crm_id"]) == (customer["id"], account["accountid"])
    assert MUST_BE_COUPLED in skipped["last_error"]

    # Skipped records stay out of scheduled runs, even when they change again.
    assert sync(systems, "CUSTOMER")[ERP_TO_CRM] == counts()
    erp.patch(f"customers({customer['id']})", {"city": "Seattle"})
    assert sync(systems, "CUSTOMER")[ERP_TO_CRM] == counts(skipped=1)

    user = crm.create(
        "systemusers",
        {"firstname": "Jim", "lastname": "Red", "internalemailaddress": "jim@example.com"},
    )
    cli(
        systems,
        "couple",
        "SALESPEOPLE",
        "--erp-id",
        salesperson["id"],
        "--crm-id",
        user["systemuserid"],
    )
    cli(systems, "skipped", "--restore-all")
    assert cli_json(systems, "skipped") == []

    restored = sync(systems, "CUSTOMER")
    assert restored == {ERP_TO_CRM: counts(modified=1), CRM_TO_ERP: counts()}
    row = crm.row("accounts", account["accountid"])
    assert row["_ownerid_value"] == user["systemuserid"]
    assert row["address1_city"] == "Seattle"
    # The engine's write to the account is not read back (echo suppression, §2.3).
    assert sync(systems, "CUSTOMER") == {ERP_TO_CRM: counts(), CRM_TO_ERP: counts()}
    # The job log keeps the same counts, newest first.
    log = cli_json(systems, "jobs", "--mapping", "CUSTOMER")
    newest = {j["direction"]: {k: j[k] for k in counts()} for j in log[:2]}
    assert newest == {ERP_TO_CRM: counts(), CRM_TO_ERP: counts()}
    assert sum(j["failed"] for j in log) == 1 and sum(j["skipped"] for j in log) == 2
