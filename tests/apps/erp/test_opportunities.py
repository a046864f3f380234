"""Opportunities: a contact is required and brings its name, company and customer; the
status closes them for good."""

from __future__ import annotations

from tests.helpers import ErpClient


def test_opportunity_takes_contact_company_and_customer(erp: ErpClient) -> None:
    erp.create("salespeoplePurchasers", {"code": "JO", "displayName": "John Roberts"})
    customer = erp.create("customers", {"displayName": "Trey Research"})
    company = erp.rows("contacts")[0]
    person = erp.create(
        "contacts",
        {"type": "Person", "firstName": "Ann", "surname": "Beebe", "customerId": customer["id"]},
    )
    r = erp.post("opportunities", {"description": "No contact"})
    assert r.status_code == 400 and "Contact No. must have a value" in r.text
    r = erp.post("opportunities", {"description": "Bad", "contactNumber": "CT999"})
    assert r.status_code == 400 and "contactNumber" in r.text
    r = erp.post(
        "opportunities",
        {"description": "Bad", "contactNumber": person["number"], "salespersonCode": "NOPE"},
    )
    assert r.status_code == 400 and "salespersonCode" in r.text
    opp = erp.create(
        "opportunities",
        {
            "description": "Fit-out of the new office",
            "contactNumber": person["number"],
            "salespersonCode": "JO",
            "estimatedValue": 12000,
            "estimatedClosingDate": "2026-12-31",
        },
    )
    assert opp["number"].startswith("OP") and opp["contactId"] == person["id"]
    assert opp["contactName"] == "Ann Beebe"
    assert opp["contactCompanyName"] == "Trey Research"
    assert opp["customerId"] == customer["id"]
    assert opp["status"] == "Not Started" and opp["closed"] is False
    # Moving it to the company contact keeps the customer; closing stamps the date.
    moved = erp.patch(
        f"opportunities({opp['id']})", {"contactId": company["id"], "status": "Won"}
    ).json()
    assert moved["contactName"] == "Trey Research" and moved["customerId"] == customer["id"]
    assert moved["closed"] is True and moved["dateClosed"] != "0001-01-01"
    r = erp.patch(f"opportunities({opp['id']})", {"status": "In Progress"})
    assert r.status_code == 400 and "closed" in r.text
