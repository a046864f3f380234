"""Echo suppression (§2.3): rows the engine wrote last are not read back by the next run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli, counts, set_mapping, sync
from tests.integration.test_sync_e2e import _accounts, _customers, _seed


def _synced(systems: Systems) -> None:
    _seed(systems)
    cli(systems, "setup", *SETUP, "--enable")
    cli(systems, "full-sync", "--start")
    sync(systems, "CUSTOMER")  # whatever the full synchronization left to look at


def test_the_engines_crm_writes_are_not_read_back(systems: Systems) -> None:
    _synced(systems)
    adatum = _customers(systems)["Adatum Corporation"]
    systems.erp.patch(f"customers({adatum['id']})", {"phoneNumber": "555-0199"})
    assert sync(systems, "CUSTOMER") == {
        "erp-to-crm": counts(modified=1),
        "crm-to-erp": counts(),
    }
    # Before echo suppression the account just written showed up here as "unchanged".
    assert sync(systems, "CUSTOMER") == {"erp-to-crm": counts(), "crm-to-erp": counts()}
    engine = systems.engine()
    try:
        account = _accounts(systems)["Adatum Corporation"]
        assert engine.state.cursor("integration-user:crm") == account["_modifiedby_value"]
    finally:
        engine.close()
    # A person's change to that very account still arrives.
    systems.crm.patch(f"accounts({account['accountid']})", {"telephone1": "555-0100"})
    assert sync(systems, "CUSTOMER")["crm-to-erp"] == counts(modified=1)
    assert _customers(systems)["Adatum Corporation"]["phoneNumber"] == "555-0100"


def _erp_to_crm_only_removed(systems: Systems, tmp_path: Path) -> None:
    """CUSTOMER without its ERP-to-CRM-only field mappings."""
    exported = tmp_path / "all.json"
    cli(systems, "mappings", "export", str(exported))
    data = json.loads(exported.read_text("utf-8"))
    customer = next(d for d in data["mapping"] if d["name"] == "CUSTOMER")
    kept = [f for f in customer["fields"] if f.get("direction") != "erp-to-crm"]
    set_mapping(systems, tmp_path, "CUSTOMER", fields=kept)


def test_the_engines_erp_writes_are_not_read_back(systems: Systems, tmp_path: Path) -> None:
    _synced(systems)
    trey = _accounts(systems)["Trey Research"]
    systems.crm.patch(f"accounts({trey['accountid']})", {"telephone1": "555-0150"})
    assert sync(systems, "CUSTOMER")["crm-to-erp"] == counts(modified=1)
    # CUSTOMER maps fields from the ERP only (credit limit, salesperson): values the ERP may
    # compute must flow back, so - as §2.3 has it - the ERP's echo is read back once.
    assert sync(systems, "CUSTOMER")["erp-to-crm"] == counts(unchanged=1)

    _erp_to_crm_only_removed(systems, tmp_path)
    systems.crm.patch(f"accounts({trey['accountid']})", {"telephone1": "555-0151"})
    assert sync(systems, "CUSTOMER")["crm-to-erp"] == counts(modified=1)
    assert sync(systems, "CUSTOMER") == {"erp-to-crm": counts(), "crm-to-erp": counts()}
    customer = _customers(systems)["Trey Research"]
    assert customer["phoneNumber"] == "555-0151" and customer["systemModifiedBy"]
    # A person's change in the ERP still arrives.
    systems.erp.patch(f"customers({customer['id']})", {"phoneNumber": "555-0152"})
    assert sync(systems, "CUSTOMER")["erp-to-crm"] == counts(modified=1)
