"""End to end over HTTP: open ERP opportunities <-> CRM opportunities, with the contact,
the account of the contact's customer and the owner translated through couplings."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, counts, enable, errors, sync

ERP_TO_CRM, CRM_TO_ERP = "erp-to-crm", "crm-to-erp"


def _crm_opportunities(systems: Systems) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in systems.crm.get("opportunities").json()["value"]}


def test_opportunities_follow_contacts_and_customers(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    trey = erp.create("customers", {"displayName": "Trey Research"})
    ann = erp.create(
        "contacts",
        {"type": "Person", "firstName": "Ann", "surname": "Beebe", "customerId": trey["id"]},
    )
    erp.create(
        "opportunities",
        {
            "description": "Office fit-out",
            "contactNumber": ann["number"],
            "estimatedValue": 12000,
            "estimatedClosingDate": "2026-12-31",
        },
    )
    won = erp.create(
        "opportunities", {"description": "Already won", "contactNumber": ann["number"]}
    )
    erp.patch(f"opportunities({won['id']})", {"status": "Won"})
    enable(systems)

    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, errors(systems))

    opportunities = _crm_opportunities(systems)
    # Only open opportunities travel; closed ones stay in the ERP.
    assert set(opportunities) == {"Office fit-out"}
    fitout = opportunities["Office fit-out"]
    contact = crm.get("contacts").json()["value"][0]
    account = next(a for a in crm.get("accounts").json()["value"] if a["name"] == "Trey Research")
    assert fitout["_parentcontactid_value"] == contact["contactid"]
    assert fitout["_parentaccountid_value"] == account["accountid"]
    assert float(fitout["estimatedvalue"]) == 12000
    assert fitout["estimatedclosedate"].startswith("2026-12-31")

    # A rename in the CRM reaches the ERP, a new value in the ERP reaches the CRM, and
    # neither is echoed back.
    crm.patch(f"opportunities({fitout['opportunityid']})", {"name": "Office fit-out, phase 1"})
    assert sync(systems, "OPPORTUNITY") == {
        ERP_TO_CRM: counts(),
        CRM_TO_ERP: counts(modified=1),
    }
    erp_fitout = next(o for o in erp.rows("opportunities") if o["status"] == "Not Started")
    assert erp_fitout["description"] == "Office fit-out, phase 1"
    erp.patch(f"opportunities({erp_fitout['id']})", {"estimatedValue": 15000})
    assert sync(systems, "OPPORTUNITY")[ERP_TO_CRM] == counts(modified=1)
    renamed = _crm_opportunities(systems)["Office fit-out, phase 1"]
    assert float(renamed["estimatedvalue"]) == 15000
    # The engine's own write is no change (at most read back once as unchanged).
    again = sync(systems, "OPPORTUNITY")
    assert all(again[d]["modified"] == again[d]["inserted"] == 0 for d in again), again

    # An opportunity made in the CRM for a coupled contact is created in the ERP.
    crm.create(
        "opportunities",
        {
            "name": "Service contract",
            "parentcontactid@odata.bind": f"/contacts({contact['contactid']})",
        },
    )
    result = sync(systems, "OPPORTUNITY")
    assert result[CRM_TO_ERP]["inserted"] == 1, errors(systems)
    created = next(o for o in erp.rows("opportunities") if o["description"] == "Service contract")
    assert created["contactId"] == ann["id"] and created["customerId"] == trey["id"]
