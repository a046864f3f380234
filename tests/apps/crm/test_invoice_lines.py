"""Invoice lines and the invoice's state (docs/behaviour.md §9): the server computes
line amounts itself, and a paid invoice takes no new lines until it is reactivated."""

from __future__ import annotations

from tests.helpers import CrmClient


def test_paid_invoice_takes_no_lines_until_reactivated(crm: CrmClient) -> None:
    account = crm.create("accounts", {"name": "Customer", "customertypecode": 3})
    invoice = crm.create(
        "invoices",
        {"name": "INV", "customerid_account@odata.bind": f"/accounts({account['accountid']})"},
    )
    iid = invoice["invoiceid"]
    line = {
        "invoiceid@odata.bind": f"/invoices({iid})",
        "productdescription": "Assembly",
        "priceperunit": 10,
        "quantity": 3,
        "manualdiscountamount": 5,
        "tax": 2,
        # Written by a client, but computed by the server.
        "baseamount": 999,
        "extendedamount": 999,
    }
    created = crm.create("invoicedetails", line)
    assert (created["baseamount"], created["extendedamount"]) == (30, 27)
    assert crm.patch(f"invoices({iid})", {"statecode": 2, "statuscode": 100001}).status_code == 204
    r = crm.post("invoicedetails", line)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "The entity cannot be updated because it is read-only."
    assert crm.patch(f"invoices({iid})", {"statecode": 0, "statuscode": 4}).status_code == 204
    assert crm.post("invoicedetails", line).status_code == 204  # created, no representation
    assert crm.row("invoices", iid)["totalamount"] == 54
