"""Posting: stock adjustments, release, ship and invoice (separately, partially, fully),
posted documents, item and customer ledger entries, draft invoices and cancellation."""

from __future__ import annotations

from typing import Any

from tests.helpers import ErpClient


def _sell(
    erp: ErpClient, quantity: int = 3
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    customer = erp.create("customers", {"displayName": "Adatum", "creditLimit": 10000})
    item = erp.create(
        "items",
        {
            "number": "1000",
            "displayName": "Bicycle",
            "unitPrice": 100,
            "unitCost": 60,
            "baseUnitOfMeasureCode": "PCS",
        },
    )
    r = erp.post("itemAdjustments", {"itemNumber": "1000", "quantity": 10}, custom=True)
    assert r.status_code == 201, r.text
    order = erp.create(
        "salesOrders",
        {
            "customerId": customer["id"],
            "salesOrderLines": [
                {"itemId": item["id"], "quantity": quantity},
                {
                    "lineType": "Account",
                    "lineObjectNumber": "40400",
                    "quantity": 1,
                    "unitPrice": 20,
                },
            ],
        },
    )
    return customer, item, order


def _stats(erp: ErpClient, customer_id: str) -> dict[str, Any]:
    rows = erp.rows(
        "customerStatistics", custom=True, **{"$filter": f"customerId eq {customer_id}"}
    )
    assert len(rows) == 1
    return rows[0]


def test_item_adjustment_posts_stock_at_once(erp: ErpClient) -> None:
    item = erp.create("items", {"displayName": "Chair", "unitCost": 5})
    adj = erp.create("itemAdjustments", {"itemId": item["id"], "quantity": 4}, custom=True)
    assert adj["itemLedgerEntryNumber"] == 1
    erp.create("itemAdjustments", {"itemId": item["id"], "quantity": -1}, custom=True)
    assert erp.row(f"items({item['id']})")["inventory"] == 3
    entries = erp.rows("itemLedgerEntries", **{"$orderby": "entryNumber"})
    assert [(e["entryType"], e["quantity"]) for e in entries] == [
        ("Positive Adjmt.", 4),
        ("Negative Adjmt.", -1),
    ]
    service = erp.create("items", {"displayName": "Support", "type": "Service"})
    r = erp.post("itemAdjustments", {"itemId": service["id"], "quantity": 1}, custom=True)
    assert r.status_code == 400 and "itemId" in r.text
    r = erp.patch(f"itemAdjustments({adj['id']})", {"quantity": 9}, custom=True)
    assert r.status_code == 405


def test_release_locks_the_order_but_not_quantities_to_ship(erp: ErpClient) -> None:
    _, _, order = _sell(erp)
    empty = erp.create("salesOrders", {"customerId": order["customerId"]})
    r = erp.action(f"salesOrders({empty['id']})/Microsoft.NAV.release", custom=True)
    assert r.status_code == 400 and "nothing to release" in r.text
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.release", custom=True)
    assert r.status_code == 204
    assert erp.row(f"salesOrders({order['id']})")["status"] == "Open"
    r = erp.patch(f"salesOrders({order['id']})", {"discountAmount": 5})
    assert r.status_code == 400 and "reopen" in r.text
    line = order["salesOrderLines"][0]
    assert erp.patch(f"salesOrderLines({line['id']})", {"quantity": 9}).status_code == 400
    r = erp.patch(f"salesOrderLines({line['id']})", {"shipQuantity": 1})
    assert r.status_code == 200 and r.json()["invoiceQuantity"] == 1
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.release")  # not in v2.0
    assert r.status_code == 404
    assert (
        erp.action(f"salesOrders({order['id']})/Microsoft.NAV.reopen", custom=True).status_code
        == 204
    )
    assert erp.row(f"salesOrders({order['id']})")["status"] == "Draft"


def test_ship_partially_then_invoice_then_ship_and_invoice_the_rest(erp: ErpClient) -> None:
    customer, item, order = _sell(erp)
    item_line, freight = order["salesOrderLines"]
    assert order["totalAmountIncludingTax"] == 352  # (300 + 20) x 1.1
    erp.patch(f"salesOrderLines({item_line['id']})", {"shipQuantity": 2})
    erp.patch(f"salesOrderLines({freight['id']})", {"shipQuantity": 0})
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.postShipment", custom=True)
    assert r.status_code == 204, r.text
    assert erp.row(f"items({item['id']})")["inventory"] == 8
    shipments = erp.rows("salesShipments", **{"$expand": "salesShipmentLines"})
    assert len(shipments) == 1 and shipments[0]["orderNumber"] == order["number"]
    assert [x["quantity"] for x in shipments[0]["salesShipmentLines"]] == [2]
    sale = erp.rows("itemLedgerEntries", **{"$filter": "entryType eq 'Sale'"})
    assert [(e["quantity"], e["documentType"], e["sourceNumber"]) for e in sale] == [
        (-2, "Sales Shipment", customer["number"])
    ]
    header = erp.row(f"salesOrders({order['id']})?$expand=salesOrderLines")
    assert header["status"] == "Open" and header["lastShipmentDate"] != "0001-01-01"
    lines = {x["sequence"]: x for x in header["salesOrderLines"]}
    assert lines[10000]["shippedQuantity"] == 2 and lines[10000]["shipQuantity"] == 1
    assert lines[10000]["invoiceQuantity"] == 3
    stats = _stats(erp, customer["id"])
    assert stats["shippedNotInvoiced"] == 220  # 2 x 110
    assert stats["outstandingOrders"] == 132  # 1 x 110 + freight 22
    # A customer blocked for invoicing cannot be invoiced; the failed posting changes nothing.
    erp.patch(f"customers({customer['id']})", {"blocked": "Invoice"})
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.postInvoice", custom=True)
    assert r.status_code == 400 and "blocked" in r.text
    assert erp.rows("salesInvoices") == [] and erp.rows("customerLedgerEntries", custom=True) == []
    erp.patch(f"customers({customer['id']})", {"blocked": " "})
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.postInvoice", custom=True)
    assert r.status_code == 204, r.text
    invoice = erp.row(
        f"salesInvoices({r.headers['X-Posted-Invoice-Id']})?$expand=salesInvoiceLines"
    )
    assert invoice["status"] == "Open" and invoice["number"].startswith("PS-INV")
    assert invoice["orderNumber"] == order["number"] and invoice["orderId"] == order["id"]
    assert invoice["totalAmountIncludingTax"] == 220 and invoice["remainingAmount"] == 220
    assert [x["quantity"] for x in invoice["salesInvoiceLines"]] == [2]
    stats = _stats(erp, customer["id"])
    assert stats["balance"] == 220 and stats["shippedNotInvoiced"] == 0
    assert stats["totalSales"] == 200
    assert erp.row(f"customers({customer['id']})")["balanceDue"] == 220
    # Ship and invoice the rest: the order is complete and disappears.
    erp.patch(f"salesOrderLines({freight['id']})", {"shipQuantity": 1})
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    assert r.status_code == 204, r.text
    assert erp.get(f"salesOrders({order['id']})").status_code == 404
    assert erp.row(f"items({item['id']})")["inventory"] == 7
    invoices = erp.rows("salesInvoices", **{"$orderby": "number"})
    assert [x["totalAmountIncludingTax"] for x in invoices] == [220, 132]
    entries = erp.rows("customerLedgerEntries", custom=True)
    assert sorted(e["amount"] for e in entries) == [132, 220]
    stats = _stats(erp, customer["id"])
    assert stats["balance"] == 352 and stats["outstandingOrders"] == 0
    assert stats["total"] == 352 and stats["creditLimit"] == 10000
    availability = erp.rows("itemAvailability", custom=True)
    assert availability[0]["inventory"] == 7 and availability[0]["quantityOnSalesOrders"] == 0


def test_invoice_discount_is_posted_in_proportion(erp: ErpClient) -> None:
    _, _, order = _sell(erp, quantity=4)
    erp.patch(f"salesOrders({order['id']})", {"discountAmount": 42})
    line = order["salesOrderLines"][0]
    erp.patch(f"salesOrderLines({line['id']})", {"shipQuantity": 2})
    r = erp.action(f"salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice")
    assert r.status_code == 204, r.text
    invoice = erp.row(
        f"salesInvoices({r.headers['X-Posted-Invoice-Id']})?$expand=salesInvoiceLines"
    )
    # 420 before discount; the item line (400) carries 40 of the 42, half of it invoiced now.
    assert invoice["discountAmount"] == 22
    posted = {x["lineType"]: x for x in invoice["salesInvoiceLines"]}
    assert posted["Item"]["invoiceDiscountAllocation"] == 20
    assert posted["Account"]["invoiceDiscountAllocation"] == 2
    assert invoice["totalAmountExcludingTax"] == 200 - 20 + 20 - 2


def test_draft_invoice_post_and_cancel(erp: ErpClient) -> None:
    customer = erp.create("customers", {"displayName": "Direct", "paymentTermsCode": "CM"})
    item = erp.create("items", {"displayName": "Lamp", "unitPrice": 50})
    erp.create("itemAdjustments", {"itemId": item["id"], "quantity": 5}, custom=True)
    draft = erp.create(
        "salesInvoices",
        {
            "customerId": customer["id"],
            "salesInvoiceLines": [{"itemId": item["id"], "quantity": 2}],
        },
    )
    assert draft["status"] == "Draft" and draft["number"] == "S-INV1001"
    stats = _stats(erp, customer["id"])
    assert stats["outstandingInvoices"] == 110
    r = erp.action(f"salesInvoices({draft['id']})/Microsoft.NAV.post")
    assert r.status_code == 204, r.text
    posted = erp.row(f"salesInvoices({draft['id']})")
    assert posted["status"] == "Open" and posted["number"].startswith("PS-INV")
    assert posted["remainingAmount"] == 110
    assert erp.row(f"items({item['id']})")["inventory"] == 3
    r = erp.patch(f"salesInvoices({draft['id']})", {"externalDocumentNumber": "X"})
    assert r.status_code == 400
    assert erp.delete(f"salesInvoices({draft['id']})").status_code == 400
    r = erp.action(f"salesInvoices({draft['id']})/Microsoft.NAV.cancel")
    assert r.status_code == 204, r.text
    canceled = erp.row(f"salesInvoices({draft['id']})")
    assert canceled["status"] == "Canceled" and canceled["remainingAmount"] == 0
    assert erp.row(f"items({item['id']})")["inventory"] == 5
    assert _stats(erp, customer["id"])["balance"] == 0
