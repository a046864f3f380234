"""Posted ERP invoices become CRM invoices with lines, totals, order link and payment status
(docs/behaviour.md §7.1), driven through the command line and the REST API."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, cli_json, enable, engine_api, set_mapping


def coupled_world(systems: Systems) -> dict[str, Any]:
    """An ERP customer and item coupled to a CRM account and product by full sync."""
    erp = systems.erp
    customer = erp.create("customers", {"displayName": "Adatum Corporation", "city": "Atlanta"})
    units = {u["code"]: u for u in erp.rows("unitsOfMeasure")}
    pcs = units.get("PCS") or erp.create("unitsOfMeasure", {"code": "PCS", "displayName": "Piece"})
    item = erp.create(
        "items",
        {"displayName": "Touring Bike", "unitPrice": 1200, "baseUnitOfMeasureId": pcs["id"]},
    )
    enable(systems)
    cli(systems, "full-sync", "--start")
    return {
        "customer": customer,
        "item": item,
        "account": named(systems, "accounts", "Adatum Corporation"),
        "product": named(systems, "products", "Touring Bike"),
    }


def named(systems: Systems, entity_set: str, name: str) -> dict[str, Any]:
    """The one CRM row of this name."""
    [row] = systems.crm.get(entity_set, params={"$filter": f"name eq '{name}'"}).json()["value"]
    return dict(row)


def posted_invoice(
    systems: Systems, w: dict[str, Any], *, customer: dict[str, Any] | None = None, **header: Any
) -> dict[str, Any]:
    """An ERP order (two bikes at 1000 less 100 discount, 10 % tax, and a G/L line) shipped
    and invoiced in the ERP; returns the posted invoice."""
    erp = systems.erp
    account = next(a for a in erp.rows("accounts") if a.get("number"))
    order = erp.create(
        "salesOrders",
        {
            "customerId": (customer or w["customer"])["id"],
            **header,
            "salesOrderLines": [
                {
                    "lineType": "Item",
                    "itemId": w["item"]["id"],
                    "quantity": 2,
                    "unitPrice": 1000,
                    "discountAmount": 100,
                    "taxPercent": 10,
                },
                {
                    "lineType": "Account",
                    "lineObjectNumber": account["number"],
                    "description": "Assembly",
                    "quantity": 1,
                    "unitPrice": 50,
                },
            ],
        },
    )
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    assert r.status_code == 204, r.text
    return erp.row(f"salesInvoices({r.headers['X-Posted-Invoice-Id']})")


def crm_invoice(systems: Systems, crm_id: str) -> dict[str, Any]:
    r = systems.crm.get(f"invoices({crm_id})", params={"$expand": "invoice_details"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def state(systems: Systems, crm_id: str) -> tuple[int, int]:
    row = systems.crm.row("invoices", crm_id)
    return row["statecode"], row["statuscode"]


def test_posted_invoice_is_created_in_the_crm_with_lines_and_totals(systems: Systems) -> None:
    w = coupled_world(systems)
    invoice = posted_invoice(systems, w)
    listed = cli_json(systems, "invoices", "list")
    assert [(i["number"], i["crm_id"]) for i in listed] == [(invoice["number"], None)]
    [result] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    assert result["created"] is True, result
    crm = crm_invoice(systems, result["crm_id"])
    assert crm["invoicenumber"] == invoice["number"]
    assert crm["name"] == invoice["number"]  # no CRM order: named after the invoice
    assert crm["_customerid_value"] == w["account"]["accountid"]
    price_list = systems.crm.row("pricelevels", crm["_pricelevelid_value"])
    assert price_list["name"] == "Price List in USD"
    lines = sorted(crm["invoice_details"], key=lambda x: x["sequencenumber"])
    assert len(lines) == 2
    bike, gl = lines
    assert bike["_productid_value"] == w["product"]["productid"]
    pcs = systems.crm.get("uoms", params={"$filter": "name eq 'PCS'"}).json()["value"]
    assert bike["_uomid_value"] == pcs[0]["uomid"]  # the unit coupled to the item's unit
    assert (bike["quantity"], bike["priceperunit"], bike["manualdiscountamount"]) == (2, 1000, 100)
    assert bike["tax"] == 190  # 10 % of 1900
    assert bike["baseamount"] == 2000 and bike["extendedamount"] == 2090
    assert gl["_productid_value"] is None and gl["isproductoverridden"] is True
    assert gl["productdescription"] == f"{gl_number(systems)} Assembly."
    # Totals per §7.1 (no sales order integration): the ERP's amounts and the discounts.
    assert Decimal(str(crm["totalamountlessfreight"])) == Decimal(
        str(invoice["totalAmountExcludingTax"])
    )
    assert Decimal(str(crm["totalamount"])) == Decimal(str(invoice["totalAmountIncludingTax"]))
    assert Decimal(str(crm["totaltax"])) == Decimal(str(invoice["totalTaxAmount"]))
    assert crm["totallineitemdiscountamount"] == 100 and crm["totaldiscountamount"] == 100
    assert (crm["statecode"], crm["statuscode"]) == (0, 4)  # Active / Billed
    # The product is on the invoice's price list now.
    items = systems.crm.get(
        "productpricelevels",
        params={"$filter": f"_pricelevelid_value eq {price_list['pricelevelid']}"},
    ).json()["value"]
    assert [i["_productid_value"] for i in items] == [w["product"]["productid"]]
    # Asking again creates nothing new.
    [again] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    assert again["created"] is False and "already coupled" in again["message"]
    assert len(systems.crm.get("invoices").json()["value"]) == 1


def gl_number(systems: Systems) -> str:
    return str(next(a for a in systems.erp.rows("accounts") if a.get("number"))["number"])


def test_invoice_of_a_crm_order_is_linked_to_it(systems: Systems) -> None:
    w = coupled_world(systems)
    crm = systems.crm
    price_list = crm.create(
        "pricelevels",
        {
            "name": "Spring prices",
            "transactioncurrencyid@odata.bind": "/transactioncurrencies("
            + crm.get("transactioncurrencies").json()["value"][0]["transactioncurrencyid"]
            + ")",
        },
    )
    order = crm.create(
        "salesorders",
        {
            "name": "Bikes for the spring",
            "customerid_account@odata.bind": f"/accounts({w['account']['accountid']})",
            "pricelevelid@odata.bind": f"/pricelevels({price_list['pricelevelid']})",
        },
    )
    invoice = posted_invoice(systems, w, yourReference=order["ordernumber"])
    [result] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    assert result["created"] is True, result
    created = crm.row("invoices", result["crm_id"])
    assert created["_salesorderid_value"] == order["salesorderid"]
    assert created["_pricelevelid_value"] == price_list["pricelevelid"]
    assert created["name"] == "Bikes for the spring"
    # An order of another account: the invoice's customer no longer matches it.
    other = crm.create("accounts", {"name": "Fabrikam", "customertypecode": 3})
    moved = crm.create(
        "salesorders",
        {"name": "x", "customerid_account@odata.bind": f"/accounts({other['accountid']})"},
    )
    mismatch = posted_invoice(systems, w, yourReference=moved["ordernumber"])
    [failed] = cli_json(systems, "invoices", "create-in-crm", mismatch["number"], code=1)
    assert "customer of the original order" in failed["message"]
    assert failed["crm_id"] is None


def test_uncoupled_customer_and_product_give_clear_errors(systems: Systems, tmp_path: Path) -> None:
    w = coupled_world(systems)
    stranger = systems.erp.create("customers", {"displayName": "Not in the CRM"})
    invoice = posted_invoice(systems, w, customer=stranger)
    [result] = cli_json(systems, "invoices", "create-in-crm", invoice["number"], code=1)
    assert f"Customer {stranger['number']} must be coupled" in result["message"]
    cli(systems, "uncouple", "ITEM-PRODUCT", "--all")
    # The item is outside the ITEM-PRODUCT filter, so its product cannot be made on the fly.
    keep_out = {"field": "number", "op": "ne", "value": w["item"]["number"]}
    set_mapping(
        systems,
        tmp_path,
        "ITEM-PRODUCT",
        erp_filter=[{"field": "blocked", "value": False}, keep_out],
    )
    second = posted_invoice(systems, w)
    result, missing = cli_json(
        systems, "invoices", "create-in-crm", second["number"], "NO-SUCH", code=1
    )
    assert "Cannot synchronize the product" in result["message"]
    assert "outside the ITEM-PRODUCT mapping's filter" in result["message"]
    assert missing["message"] == "There is no posted sales invoice NO-SUCH in the ERP."
    assert systems.crm.get("invoices").json()["value"] == []  # nothing half-made
    errors = cli_json(systems, "errors")
    assert {e["source_id"] for e in errors} >= {invoice["id"], second["id"]}


def test_rest_api_creates_invoices(systems: Systems) -> None:
    w = coupled_world(systems)
    invoice = posted_invoice(systems, w)
    with engine_api(systems) as web:
        r = web.post("/api/v1/invoices/create-in-crm", json={"numbers": [invoice["number"]]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["failed"] == 0 and body["results"][0]["created"] is True
        listed = web.get("/api/v1/invoices").json()
        assert listed[0]["crm_id"] == body["results"][0]["crm_id"]
        assert web.post("/api/v1/invoices/create-in-crm", json={"numbers": []}).status_code == 422


def test_scheduled_invoice_job_keeps_active_invoices_current(systems: Systems) -> None:
    """A coupled invoice: a payment changes the ERP invoice, and the POSTEDSALESINV-INV job
    sets the CRM invoice's status; once paid in the CRM it is left alone."""
    w = coupled_world(systems)
    invoice = posted_invoice(systems, w)
    [result] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    pay(systems, invoice, 1000)
    jobs = cli_json(systems, "sync", "POSTEDSALESINV-INV")
    assert jobs[0]["failed"] == 0, jobs
    assert state(systems, result["crm_id"]) == (2, 100002)  # Paid / Partial
    pay(systems, invoice, 1140)
    cli_json(systems, "sync", "POSTEDSALESINV-INV")
    # Paid in the CRM: the invoice job ignores it (the statistics job updates it).
    assert state(systems, result["crm_id"]) == (2, 100002)
    out = cli(systems, "sync", "POSTEDSALESLINE-INV", code=2)
    assert "cannot be synchronized separately" in out


def pay(systems: Systems, invoice: dict[str, Any], amount: float) -> dict[str, Any]:
    """Posts a payment applied to the invoice; returns the payment's ledger entry."""
    erp = systems.erp
    journals = erp.rows("customerPaymentJournals")
    journal = journals[0] if journals else erp.create("customerPaymentJournals", {"code": "CASH"})
    erp.create(
        f"customerPaymentJournals({journal['id']})/customerPayments",
        {"amount": amount, "appliesToInvoiceId": invoice["id"]},
    )
    r = erp.action(f"customerPaymentJournals({journal['id']})/Microsoft.NAV.post")
    assert r.status_code == 204, r.text
    entries = erp.rows("customerLedgerEntries", custom=True)
    return max(
        (e for e in entries if e["documentType"] == "Payment"), key=lambda e: e["entryNumber"]
    )


def test_uncoupled_products_are_created_on_the_fly_unless_blocked(systems: Systems) -> None:
    w = coupled_world(systems)
    erp = systems.erp
    city = erp.create("items", {"displayName": "City Bike", "unitPrice": 500})
    kids = erp.create("items", {"displayName": "Kids Bike", "unitPrice": 200})
    first = posted_invoice(systems, {**w, "item": city})
    second = posted_invoice(systems, {**w, "item": kids})
    assert erp.patch(f"items({kids['id']})", {"blocked": True}).status_code == 200
    created, blocked = cli_json(
        systems, "invoices", "create-in-crm", first["number"], second["number"], code=1
    )
    assert created["created"] is True, created
    product = named(systems, "products", "City Bike")
    lines = crm_invoice(systems, created["crm_id"])["invoice_details"]
    assert product["productid"] in {x["_productid_value"] for x in lines}
    # The product is coupled to the item now: a later invoice uses it, no second product.
    again = posted_invoice(systems, {**w, "item": city})
    [later] = cli_json(systems, "invoices", "create-in-crm", again["number"])
    assert later["created"] is True
    assert named(systems, "products", "City Bike") == product  # one product, the same
    assert f"item {kids['number']} is blocked" in blocked["message"]
    assert blocked["crm_id"] is None
