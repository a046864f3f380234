"""End to end over HTTP: update and deletion conflicts resolved per the mapping's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, counts, enable, errors, set_mapping, sync

ERP_TO_CRM, CRM_TO_ERP = "erp-to-crm", "crm-to-erp"


def _coupled_customer(systems: Systems) -> tuple[dict[str, Any], dict[str, Any]]:
    """One ERP customer created in the CRM by the engine: (customer, account)."""
    customer = systems.erp.create("customers", {"displayName": "Coho Winery", "city": "Seattle"})
    enable(systems)
    cli(systems, "create-in-crm", "CUSTOMER", "--erp-id", customer["id"])
    accounts = systems.crm.get("accounts", params={"$filter": "name eq 'Coho Winery'"}).json()
    (account,) = accounts["value"]
    return customer, account


def _phones(systems: Systems, customer: dict[str, Any], account: dict[str, Any]) -> tuple[str, str]:
    erp = systems.erp.row(f"customers({customer['id']})")["phoneNumber"]
    crm = systems.crm.row("accounts", account["accountid"])["telephone1"]
    return erp, crm


def _edit_both(systems: Systems, customer: dict[str, Any], account: dict[str, Any]) -> None:
    systems.erp.patch(f"customers({customer['id']})", {"phoneNumber": "555-0101"})
    systems.crm.patch(f"accounts({account['accountid']})", {"telephone1": "555-0202"})


def test_update_conflict_without_resolution_fails_naming_the_field_pair(systems: Systems) -> None:
    customer, account = _coupled_customer(systems)
    _edit_both(systems, customer, account)

    jobs = sync(systems, "CUSTOMER", code=1)
    assert jobs == {ERP_TO_CRM: counts(failed=1), CRM_TO_ERP: counts(failed=1)}
    messages = [e["message"] for e in errors(systems)]
    assert len(messages) == 2
    for message in messages:
        assert "cannot be updated" in message and "phoneNumber <-> telephone1" in message
    assert _phones(systems, customer, account) == ("555-0101", "555-0202")


def test_update_conflict_send_update_to_crm_lets_the_erp_win(
    systems: Systems, tmp_path: Path
) -> None:
    customer, account = _coupled_customer(systems)
    set_mapping(systems, tmp_path, "CUSTOMER", update_conflict="send-update-to-crm")
    _edit_both(systems, customer, account)

    jobs = sync(systems, "CUSTOMER")
    # The CRM row now carries the engine's own write, which the CRM pass does not read back.
    assert jobs == {ERP_TO_CRM: counts(modified=1), CRM_TO_ERP: counts()}
    assert _phones(systems, customer, account) == ("555-0101", "555-0101")
    quiet = sync(systems, "CUSTOMER")
    assert all(j["modified"] == j["inserted"] == j["failed"] == 0 for j in quiet.values())


def test_update_conflict_get_update_from_crm_lets_the_crm_win(
    systems: Systems, tmp_path: Path
) -> None:
    customer, account = _coupled_customer(systems)
    set_mapping(systems, tmp_path, "CUSTOMER", update_conflict="get-update-from-crm")
    _edit_both(systems, customer, account)

    jobs = sync(systems, "CUSTOMER")
    assert jobs == {ERP_TO_CRM: counts(skipped=1), CRM_TO_ERP: counts(modified=1)}
    assert _phones(systems, customer, account) == ("555-0202", "555-0202")
    quiet = sync(systems, "CUSTOMER")
    assert all(j["modified"] == j["inserted"] == j["failed"] == 0 for j in quiet.values())


@pytest.mark.parametrize("rule", ["none", "remove-coupling", "restore-records"])
def test_deleted_coupled_record_is_handled_per_the_deletion_setting(
    systems: Systems, tmp_path: Path, rule: str
) -> None:
    customer, account = _coupled_customer(systems)
    set_mapping(systems, tmp_path, "CUSTOMER", deletion_conflict=rule)
    assert systems.crm.delete(f"accounts({account['accountid']})").status_code == 204
    systems.erp.patch(f"customers({customer['id']})", {"city": "Portland"})

    expected = {
        "none": counts(failed=1),
        "remove-coupling": counts(uncoupled=1),
        "restore-records": counts(inserted=1),
    }[rule]
    jobs = sync(systems, "CUSTOMER", code=1 if rule == "none" else 0)
    assert jobs[ERP_TO_CRM] == expected
    accounts = systems.crm.get("accounts").json()["value"]
    if rule == "none":
        (error,) = errors(systems)
        assert "coupled to a deleted record" in error["message"]
        assert error["source_id"] == customer["id"]
        assert error["destination_id"] == account["accountid"]
        assert accounts == []
    elif rule == "remove-coupling":
        assert accounts == []
        # No coupling any more: the record is left alone (only coupled records sync).
        systems.erp.patch(f"customers({customer['id']})", {"city": "Salem"})
        assert sync(systems, "CUSTOMER")[ERP_TO_CRM] == counts()
    else:
        (restored,) = accounts
        assert restored["accountid"] != account["accountid"]
        assert restored["name"] == "Coho Winery" and restored["address1_city"] == "Portland"
        # Recoupled: the next change goes to the new row.
        systems.erp.patch(f"customers({customer['id']})", {"city": "Salem"})
        assert sync(systems, "CUSTOMER")[ERP_TO_CRM] == counts(modified=1)
        assert systems.crm.row("accounts", restored["accountid"])["address1_city"] == "Salem"
