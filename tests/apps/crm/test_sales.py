"""Sales rules: totals, document states, quote lifecycle messages, invoices, orders."""

from __future__ import annotations

from typing import Any

from tests.helpers import CrmClient


def _setup(crm: CrmClient) -> dict[str, Any]:
    usd = crm.get("transactioncurrencies").json()["value"][0]["transactioncurrencyid"]
    group = crm.create("uomschedules", {"name": "Unit Group", "baseuomname": "PCS"})
    uoms = crm.get(f"uomschedules({group['uomscheduleid']})/uomschedule_uoms").json()["value"]
    assert [u["name"] for u in uoms] == ["PCS"] and uoms[0]["isschedulebaseuom"] is True
    pricelist = crm.create(
        "pricelevels",
        {"name": "Default", "transactioncurrencyid@odata.bind": f"/transactioncurrencies({usd})"},
    )
    product = crm.create(
        "products",
        {
            "name": "Bicycle",
            "productnumber": "1000",
            "price": 100,
            "defaultuomid@odata.bind": f"/uoms({uoms[0]['uomid']})",
            "defaultuomscheduleid@odata.bind": f"/uomschedules({group['uomscheduleid']})",
        },
    )
    assert product["statecode"] == 0  # new products start Active
    crm.create(
        "productpricelevels",
        {
            "pricelevelid@odata.bind": f"/pricelevels({pricelist['pricelevelid']})",
            "productid@odata.bind": f"/products({product['productid']})",
            "uomid@odata.bind": f"/uoms({uoms[0]['uomid']})",
            "amount": 80,
        },
    )
    account = crm.create("accounts", {"name": "Customer", "customertypecode": 3})
    return {
        "usd": usd,
        "uom": uoms[0]["uomid"],
        "pricelist": pricelist["pricelevelid"],
        "product": product["productid"],
        "account": account["accountid"],
    }


def _quote(crm: CrmClient, s: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return crm.create(
        "quotes",
        {
            "name": "Q",
            "customerid_account@odata.bind": f"/accounts({s['account']})",
            "pricelevelid@odata.bind": f"/pricelevels({s['pricelist']})",
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({s['usd']})",
            **extra,
        },
    )


def _line(crm: CrmClient, s: dict[str, Any], quote_id: str, **extra: Any) -> dict[str, Any]:
    return crm.create(
        "quotedetails",
        {
            "quoteid@odata.bind": f"/quotes({quote_id})",
            "productid@odata.bind": f"/products({s['product']})",
            "uomid@odata.bind": f"/uoms({s['uom']})",
            "quantity": 3,
            **extra,
        },
    )


def test_price_list_item_rules(crm: CrmClient) -> None:
    s = _setup(crm)
    r = crm.post(
        "productpricelevels",
        {"pricelevelid@odata.bind": f"/pricelevels({s['pricelist']})", "amount": 1},
    )
    assert r.status_code == 400 and r.json()["error"]["message"] == "The product id is missing."
    r = crm.post(
        "productpricelevels",
        {
            "pricelevelid@odata.bind": f"/pricelevels({s['pricelist']})",
            "productid@odata.bind": f"/products({s['product']})",
            "uomid@odata.bind": f"/uoms({s['uom']})",
            "amount": 5,
        },
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "This product and unit combination has a price for this price list."
    )


def test_currency_needs_exchange_rate(crm: CrmClient) -> None:
    r = crm.post(
        "transactioncurrencies",
        {"currencyname": "Euro", "isocurrencycode": "EUR", "exchangerate": 0},
    )
    assert r.status_code == 400
    r = crm.post("transactioncurrencies", {"currencyname": "Euro", "exchangerate": 0.9})
    assert r.status_code == 400 and "isocurrencycode" in r.json()["error"]["message"]


def test_line_and_header_totals(crm: CrmClient) -> None:
    s = _setup(crm)
    q = _quote(crm, s, discountpercentage=10, freightamount=7)
    line = _line(crm, s, q["quoteid"], manualdiscountamount=4, tax=2.5)
    assert line["priceperunit"] == 80  # from the quote's price list
    assert line["baseamount"] == 240 and line["extendedamount"] == 238.5
    assert line["volumediscountamount"] == 0
    _line(crm, s, q["quoteid"], priceperunit=10, quantity=2)  # a second line, own price
    row = crm.row("quotes", q["quoteid"])
    # lines: 240 + 20 = 260, line discounts 4 -> 256; header discount 10% = 25.60
    assert row["totallineitemdiscountamount"] == 4
    assert row["totallineitemamount"] == 256
    assert row["totaldiscountamount"] == 29.6
    assert row["totalamountlessfreight"] == 230.4
    assert row["totaltax"] == 2.5
    assert row["totalamount"] == 239.9  # 230.40 + 7 freight + 2.50 tax
    # Header discount changes recompute; totals written by a client are ignored.
    crm.patch(
        f"quotes({q['quoteid']})", {"discountpercentage": 0, "discountamount": 6, "totalamount": 1}
    )
    row = crm.row("quotes", q["quoteid"])
    assert row["totalamountlessfreight"] == 250 and row["totalamount"] == 259.5
    crm.delete(f"quotedetails({line['quotedetailid']})")
    assert crm.row("quotes", q["quoteid"])["totalamount"] == 21  # 20 - 6 + 7


def test_write_in_line(crm: CrmClient) -> None:
    s = _setup(crm)
    q = _quote(crm, s)
    line = crm.create(
        "quotedetails",
        {
            "quoteid@odata.bind": f"/quotes({q['quoteid']})",
            "productdescription": "Consulting",
            "priceperunit": 50,
            "quantity": 2,
        },
    )
    assert line["isproductoverridden"] is True and line["baseamount"] == 100
    r = crm.post("quotedetails", {"quoteid@odata.bind": f"/quotes({q['quoteid']})", "quantity": 1})
    assert r.status_code == 400


def test_quote_lifecycle(crm: CrmClient) -> None:
    s = _setup(crm)
    q = _quote(crm, s, effectiveto="2026-12-31")
    assert q["statecode"] == 0 and q["statuscode"] == 1 and q["revisionnumber"] == 0
    assert q["quotenumber"].startswith("QUO-") and q["effectiveto"] == "2026-12-31"
    _line(crm, s, q["quoteid"])
    qid = q["quoteid"]
    # A plain PATCH may activate but not win or close.
    assert crm.patch(f"quotes({qid})", {"statecode": 2}).status_code == 400
    assert crm.patch(f"quotes({qid})", {"statecode": 1, "statuscode": 4}).status_code == 400
    assert crm.patch(f"quotes({qid})", {"statecode": 1}).status_code == 204
    active = crm.row("quotes", qid)
    assert (active["statecode"], active["statuscode"]) == (1, 2)
    # Active quotes and their lines are read-only.
    assert crm.patch(f"quotes({qid})", {"name": "changed"}).status_code == 400
    assert (
        crm.post(
            "quotedetails", {"quoteid@odata.bind": f"/quotes({qid})", "productdescription": "x"}
        ).status_code
        == 400
    )
    # Revise: the old one is closed as Revised, revision 1 is a Draft with copied lines.
    r = crm.post("ReviseQuote", {"QuoteId": qid, "ColumnSet": {"AllColumns": True}})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["revisionnumber"] == 1 and new["statecode"] == 0
    assert new["quotenumber"] == q["quotenumber"] and new["quoteid"] != qid
    old = crm.row("quotes", qid)
    assert (old["statecode"], old["statuscode"]) == (3, 7)
    lines = crm.get(f"quotes({new['quoteid']})/quote_details").json()["value"]
    assert len(lines) == 1 and lines[0]["baseamount"] == 240
    assert crm.row("quotes", new["quoteid"])["totalamount"] == 240
    # Win requires an active quote; then convert to an order.
    close = {
        "QuoteClose": {"subject": "Won", "quoteid@odata.bind": f"/quotes({new['quoteid']})"},
        "Status": 4,
    }
    assert crm.post("WinQuote", close).status_code == 400
    crm.patch(f"quotes({new['quoteid']})", {"statecode": 1})
    assert crm.post("WinQuote", close).status_code == 204
    won = crm.row("quotes", new["quoteid"])
    assert (won["statecode"], won["statuscode"]) == (2, 4)
    r = crm.post(
        "ConvertQuoteToSalesOrder", {"QuoteId": new["quoteid"], "ColumnSet": {"AllColumns": True}}
    )
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["_quoteid_value"] == new["quoteid"]
    assert order["_customerid_value"] == s["account"] and order["statecode"] == 0
    assert order["ordernumber"].startswith("ORD-") and order["totalamount"] == 240
    details = crm.get(f"salesorders({order['salesorderid']})/order_details").json()["value"]
    assert len(details) == 1 and details[0]["quantity"] == 3


def test_close_quote(crm: CrmClient) -> None:
    s = _setup(crm)
    q = _quote(crm, s)
    crm.patch(f"quotes({q['quoteid']})", {"statecode": 1})
    r = crm.post(
        "CloseQuote",
        {"QuoteClose": {"quoteid@odata.bind": f"/quotes({q['quoteid']})"}, "Status": 5},
    )
    assert r.status_code == 204
    closed = crm.row("quotes", q["quoteid"])
    assert (closed["statecode"], closed["statuscode"]) == (3, 5)
    r = crm.post(
        "CloseQuote",
        {"QuoteClose": {"quoteid@odata.bind": f"/quotes({q['quoteid']})"}, "Status": 5},
    )
    assert r.status_code == 400
    assert crm.post("CloseQuote", {"Status": 5}).status_code == 400


def _order(crm: CrmClient, s: dict[str, Any]) -> dict[str, Any]:
    order = crm.create(
        "salesorders",
        {
            "name": "Order",
            "customerid_account@odata.bind": f"/accounts({s['account']})",
            "pricelevelid@odata.bind": f"/pricelevels({s['pricelist']})",
        },
    )
    crm.create(
        "salesorderdetails",
        {
            "salesorderid@odata.bind": f"/salesorders({order['salesorderid']})",
            "productid@odata.bind": f"/products({s['product']})",
            "quantity": 1,
        },
    )
    return order


def test_submitted_orders_are_read_only_except_state(crm: CrmClient) -> None:
    s = _setup(crm)
    order = _order(crm, s)
    oid = order["salesorderid"]
    assert crm.patch(f"salesorders({oid})", {"statecode": 1}).status_code == 204
    submitted = crm.row("salesorders", oid)
    assert (submitted["statecode"], submitted["statuscode"]) == (1, 3)
    assert submitted["submitdate"]
    r = crm.patch(f"salesorders({oid})", {"name": "changed"})
    assert (
        r.status_code == 400 and r.json()["error"]["message"] == "CRM Sales order is not editable."
    )
    assert (
        crm.post(
            "salesorderdetails",
            {"salesorderid@odata.bind": f"/salesorders({oid})", "productdescription": "x"},
        ).status_code
        == 400
    )
    # The back office stamps its submit date while the order stays submitted.
    assert (
        crm.patch(f"salesorders({oid})", {"lastbackofficesubmit": "2026-11-22"}).status_code == 204
    )
    # Back to Active, edit, then Invoiced.
    assert crm.patch(f"salesorders({oid})", {"statecode": 0, "name": "edited"}).status_code == 204
    assert (
        crm.patch(f"salesorders({oid})", {"statecode": 4, "statuscode": 100003}).status_code == 204
    )
    assert crm.patch(f"salesorders({oid})", {"statecode": 0}).status_code == 400
    assert crm.patch(f"salesorders({oid})", {"statecode": 1, "statuscode": 1}).status_code == 400


def test_invoice_states(crm: CrmClient) -> None:
    s = _setup(crm)
    inv = crm.create(
        "invoices",
        {
            "name": "INV",
            "invoicenumber": "PS-INV103001",
            "customerid_account@odata.bind": f"/accounts({s['account']})",
        },
    )
    assert inv["invoicenumber"] == "PS-INV103001"
    iid = inv["invoiceid"]
    crm.create(
        "invoicedetails",
        {
            "invoiceid@odata.bind": f"/invoices({iid})",
            "productdescription": "Item",
            "priceperunit": 10,
            "quantity": 2,
            "tax": 5,
        },
    )
    assert crm.row("invoices", iid)["totalamount"] == 25
    assert crm.patch(f"invoices({iid})", {"statuscode": 4}).status_code == 204  # Billed
    assert crm.patch(f"invoices({iid})", {"statecode": 2, "statuscode": 100002}).status_code == 204
    paid = crm.row("invoices", iid)
    assert (paid["statecode"], paid["statuscode"]) == (2, 100002)
    r = crm.patch(f"invoices({iid})", {"statecode": 2, "statuscode": 100001})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "The entity cannot be updated because it is read-only."
    r = crm.patch(f"invoices({iid})", {"name": "x"})
    assert r.json()["error"]["message"] == "The entity cannot be updated because it is read-only."
    # Reactivate, cancel, then paying a canceled invoice is refused.
    assert crm.patch(f"invoices({iid})", {"statecode": 0, "statuscode": 4}).status_code == 204
    assert crm.patch(f"invoices({iid})", {"statecode": 3}).status_code == 204
    r = crm.patch(f"invoices({iid})", {"statecode": 2, "statuscode": 100001})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "The invoice cannot be paid because it is not in active state."
    )


def test_invalid_status_for_state(crm: CrmClient) -> None:
    acc = crm.create("accounts", {"name": "S"})
    r = crm.patch(f"accounts({acc['accountid']})", {"statecode": 1, "statuscode": 1})
    assert r.status_code == 400 and "statuscode" in r.json()["error"]["message"]
    assert crm.patch(f"accounts({acc['accountid']})", {"statecode": 1}).status_code == 204
    row = crm.row("accounts", acc["accountid"])
    assert (row["statecode"], row["statuscode"]) == (1, 2)


def test_posts_and_annotations(crm: CrmClient) -> None:
    s = _setup(crm)
    order = _order(crm, s)
    post = crm.create(
        "posts",
        {
            "text": "Order released",
            "source": 1,
            "type": 7,
            "regardingobjectid_salesorder@odata.bind": f"/salesorders({order['salesorderid']})",
        },
    )
    assert post["_regardingobjectid_value"] == order["salesorderid"]
    assert crm.patch(f"posts({post['postid']})", {"text": "x"}).status_code == 405
    note = crm.create(
        "annotations",
        {
            "subject": "Call",
            "notetext": "Deliver after 5",
            "objectid_salesorder@odata.bind": f"/salesorders({order['salesorderid']})",
        },
    )
    assert note["objecttypecode"] == "salesorder" and note["isdocument"] is False


def test_deleting_a_header_removes_its_lines(crm: CrmClient) -> None:
    s = _setup(crm)
    order = _order(crm, s)
    assert crm.delete(f"salesorders({order['salesorderid']})").status_code == 204
    assert crm.get("salesorderdetails").json()["value"] == []


def test_account_statistics_and_organization(crm: CrmClient) -> None:
    s = _setup(crm)
    stats = crm.create(
        "nav_accountstatisticses",
        {
            "nav_name": "Customer",
            "nav_customerno": "10000",
            "nav_balancelcy": 1,
            "nav_overdueamountsasof": "2026-11-22",
            "nav_accountid@odata.bind": f"/accounts({s['account']})",
        },
    )
    assert stats["_nav_accountid_value"] == s["account"]
    org = crm.get("organizations").json()["value"][0]
    assert org["issopintegrationenabled"] is False
    crm.patch(f"organizations({org['organizationid']})", {"issopintegrationenabled": True})
    assert crm.row("organizations", org["organizationid"])["issopintegrationenabled"] is True
