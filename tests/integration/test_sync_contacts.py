"""End to end over HTTP: person contacts of customers <-> CRM contacts of accounts, with the
parent linkage translated through the customers' couplings both ways."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, counts, enable, errors, sync

ERP_TO_CRM, CRM_TO_ERP = "erp-to-crm", "crm-to-erp"


def _crm_contacts(systems: Systems) -> dict[str, dict[str, Any]]:
    rows = systems.crm.get("contacts").json()["value"]
    return {r["lastname"]: r for r in rows}


def _erp_people(systems: Systems) -> dict[str, dict[str, Any]]:
    return {c["surname"]: c for c in systems.erp.rows("contacts") if c["type"] == "Person"}


def _accounts(systems: Systems) -> dict[str, str]:
    return {a["name"]: a["accountid"] for a in systems.crm.get("accounts").json()["value"]}


def test_contacts_follow_their_customers_both_ways(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    trey = erp.create("customers", {"displayName": "Trey Research"})
    erp.create(
        "contacts",
        {
            "type": "Person",
            "firstName": "Ann",
            "surname": "Beebe",
            "customerId": trey["id"],
            "phoneNumber": "555-0100",
        },
    )
    erp.create("contacts", {"type": "Person", "firstName": "Sam", "surname": "Solo"})
    fourth = crm.create("accounts", {"name": "Fourth Coffee", "customertypecode": 3})
    crm.create(
        "contacts",
        {
            "firstname": "Bob",
            "lastname": "Lee",
            "parentcustomerid_account@odata.bind": f"/accounts({fourth['accountid']})",
        },
    )
    crm.create("contacts", {"firstname": "Nora", "lastname": "Nobody"})
    enable(systems)

    done = json.loads(cli(systems, "full-sync", "--start", "--json"))
    failed = [r for r in done if "error" in (r["status"], r["erp_to_crm"], r["crm_to_erp"])]
    assert not failed, (failed, errors(systems))

    accounts, people = _accounts(systems), _erp_people(systems)
    contacts = _crm_contacts(systems)
    customers = {c["displayName"]: c["id"] for c in erp.rows("customers")}
    # Person contacts of customers and contacts of accounts meet, each under its parent;
    # company contacts, people without a company and parentless CRM contacts stay home.
    assert set(contacts) == {"Beebe", "Lee", "Nobody"}
    assert set(people) == {"Beebe", "Lee", "Solo"}
    assert contacts["Beebe"]["_parentcustomerid_value"] == accounts["Trey Research"]
    assert contacts["Beebe"]["telephone1"] == "555-0100"
    assert people["Lee"]["customerId"] == customers["Fourth Coffee"]
    assert people["Lee"]["companyName"] == "Fourth Coffee"
    assert people["Lee"]["firstName"] == "Bob"

    # An edit on each side arrives on the other in one run and is not echoed back.
    erp.patch(f"contacts({people['Beebe']['id']})", {"email": "ann@trey.example"})
    crm.patch(f"contacts({contacts['Lee']['contactid']})", {"mobilephone": "555-0177"})
    # (Lee, whom the full synchronization created in the ERP, is read once as unchanged.)
    assert sync(systems, "CONTACT") == {
        ERP_TO_CRM: counts(modified=1, unchanged=1),
        CRM_TO_ERP: counts(modified=1),
    }
    assert _crm_contacts(systems)["Beebe"]["emailaddress1"] == "ann@trey.example"
    assert _erp_people(systems)["Lee"]["mobilePhoneNumber"] == "555-0177"
    quiet = sync(systems, "CONTACT")
    assert all(j["modified"] == j["inserted"] == j["failed"] == 0 for j in quiet.values())

    # Moving a CRM contact to another account moves the ERP person to that customer.
    crm.patch(
        f"contacts({contacts['Lee']['contactid']})",
        {"parentcustomerid_account@odata.bind": f"/accounts({accounts['Trey Research']})"},
    )
    assert sync(systems, "CONTACT")[CRM_TO_ERP] == counts(modified=1)
    lee = _erp_people(systems)["Lee"]
    assert (lee["customerId"], lee["companyName"]) == (customers["Trey Research"], "Trey Research")


def test_contact_of_an_uncoupled_account_fails_naming_the_parent(systems: Systems) -> None:
    crm = systems.crm
    prospect = crm.create("accounts", {"name": "A prospect", "customertypecode": 8})
    contact = crm.create(
        "contacts",
        {
            "firstname": "Pat",
            "lastname": "Prospect",
            "parentcustomerid_account@odata.bind": f"/accounts({prospect['accountid']})",
        },
    )
    enable(systems)
    cli(systems, "create-in-erp", "CONTACT", "--crm-id", contact["contactid"], code=1)
    (error,) = errors(systems)
    assert (
        f"parentcustomerid {prospect['accountid']} must be coupled to a record in "
        "Business Central" in error["message"]
    )
    assert [c for c in systems.erp.rows("contacts") if c["type"] == "Person"] == []
