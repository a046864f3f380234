"""Sales documents: deep insert, defaults from customer and item, line kinds, discounts,
tax, totals recomputed on every change, and what a released order allows."""

from __future__ import annotations

from typing import Any

from tests.helpers import ErpClient


def _setup(erp: ErpClient) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = erp.create(
        "customers",
        {
            "displayName": "Adatum",
            "addressLine1": "Main St 1",
            "city": "Atlanta",
            "paymentTermsCode": "14 DAYS",
        },
    )
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
    return customer, item


def test_order_deep_insert_with_defaults_and_totals(erp: ErpClient) -> None:
    customer, item = _setup(erp)
    order = erp.create(
        "salesOrders",
        {
            "customerNumber": customer["number"],
            "yourReference": "ORD-01001-CRM",
            "externalDocumentNumber": "PO 42",
            "salesOrderLines": [
                {"itemId": item["id"], "quantity": 3, "discountPercent": 10},
                {"lineType": "Item", "lineObjectNumber": "1000", "quantity": 1, "unitPrice": 80},
                {"description": "Gift wrap please", "attachedToSequence": 10000},
            ],
        },
    )
    assert order["number"] == "S-ORD1001" and order["status"] == "Draft"
    assert order["customerId"] == customer["id"] and order["customerName"] == "Adatum"
    assert order["sellToCity"] == "Atlanta" and order["shipToAddressLine1"] == "Main St 1"
    assert order["billToCustomerNumber"] == customer["number"]
    assert order["yourReference"] == "ORD-01001-CRM"
    lines = order["salesOrderLines"]
    assert [x["sequence"] for x in lines] == [10000, 20000, 30000]
    first, second, comment = lines
    assert first["lineObjectNumber"] == "1000" and first["description"] == "Bicycle"
    assert first["unitPrice"] == 100 and first["unitOfMeasureCode"] == "PCS"
    assert first["discountAmount"] == 30 and first["amountExcludingTax"] == 270
    assert first["taxPercent"] == 10 and first["totalTaxAmount"] == 27
    assert first["shipQuantity"] == 3 and first["invoiceQuantity"] == 3
    assert second["unitPrice"] == 80
    assert comment["lineType"] == "Comment" and comment["amountExcludingTax"] == 0
    assert order["totalAmountExcludingTax"] == 350
    assert order["totalTaxAmount"] == 35 and order["totalAmountIncludingTax"] == 385
    # Due date from the payment terms (14 days after the document date).
    assert order["dueDate"] > order["documentDate"]


def test_invoice_discount_is_allocated_and_totals_follow_every_change(erp: ErpClient) -> None:
    customer, item = _setup(erp)
    order = erp.create(
        "salesOrders",
        {
            "customerId": customer["id"],
            "salesOrderLines": [
                {"itemId": item["id"], "quantity": 1},
                {"itemId": item["id"], "quantity": 2},
            ],
        },
    )
    r = erp.patch(f"salesOrders({order['id']})", {"discountAmount": 10})
    assert r.status_code == 200, r.text
    header = r.json()
    assert header["totalAmountExcludingTax"] == 290 and header["totalTaxAmount"] == 29
    lines = erp.rows(f"salesOrders({order['id']})/salesOrderLines", **{"$orderby": "sequence"})
    assert [x["invoiceDiscountAllocation"] for x in lines] == [3.33, 6.67]
    assert sum(x["netAmount"] for x in lines) == 290
    # Changing a line recomputes the header.
    r = erp.patch(f"salesOrders({order['id']})/salesOrderLines({lines[0]['id']})", {"quantity": 4})
    assert r.status_code == 200, r.text
    assert r.json()["amountExcludingTax"] == 400
    header = erp.row(f"salesOrders({order['id']})")
    assert header["totalAmountExcludingTax"] == 590
    # Deleting a line too.
    assert erp.delete(f"salesOrderLines({lines[1]['id']})").status_code == 204
    assert erp.row(f"salesOrders({order['id']})")["totalAmountExcludingTax"] == 390


def test_line_kinds_and_validation(erp: ErpClient) -> None:
    customer, item = _setup(erp)
    erp.create(
        "resources",
        {
            "number": "R1",
            "displayName": "Installer",
            "unitPrice": 75,
            "baseUnitOfMeasureCode": "HOUR",
        },
        custom=True,
    )
    quote = erp.create("salesQuotes", {"customerId": customer["id"]})
    path = f"salesQuotes({quote['id']})/salesQuoteLines"
    res = erp.create(path, {"lineType": "Resource", "lineObjectNumber": "R1", "quantity": 2})
    assert res["unitPrice"] == 75 and res["unitOfMeasureCode"] == "HOUR"
    freight = erp.create(
        path, {"lineType": "Account", "lineObjectNumber": "40400", "quantity": 1, "unitPrice": 25}
    )
    assert freight["description"] == "Freight Fees for Goods" and freight["accountId"]
    r = erp.post(path, {"lineType": "Item", "lineObjectNumber": "NOPE", "quantity": 1})
    assert r.status_code == 400 and "lineObjectNumber" in r.text
    r = erp.post(path, {"itemId": item["id"], "description": "x" * 101})
    assert r.status_code == 400 and "description" in r.text
    r = erp.post(path, {"itemId": item["id"], "quantity": -1})
    assert r.status_code == 400 and "quantity" in r.text
    r = erp.post(path, {"itemId": item["id"], "unitOfMeasureCode": "BOX"})
    assert r.status_code == 400 and "unitOfMeasureCode" in r.text
    erp.patch(f"items({item['id']})", {"blocked": True})
    r = erp.post(path, {"itemId": item["id"], "quantity": 1})
    assert r.status_code == 400 and "Blocked" in r.text
    assert erp.row(f"salesQuotes({quote['id']})")["totalAmountExcludingTax"] == 175


def test_document_header_validation(erp: ErpClient) -> None:
    customer, _ = _setup(erp)
    r = erp.post("salesOrders", {})
    assert r.status_code == 400 and "customerId" in r.text
    r = erp.post("salesOrders", {"customerNumber": "NOPE"})
    assert r.status_code == 400 and "customerNumber" in r.text
    erp.patch(f"customers({customer['id']})", {"blocked": "All"})
    r = erp.post("salesOrders", {"customerId": customer["id"]})
    assert r.status_code == 400 and "blocked" in r.text
    assert erp.rows("salesOrders") == []


def test_foreign_currency_document(erp: ErpClient) -> None:
    customer = erp.create("customers", {"displayName": "Euro GmbH", "currencyCode": "EUR"})
    item = erp.create("items", {"displayName": "Lamp", "unitPrice": 50})
    order = erp.create(
        "salesOrders",
        {"customerId": customer["id"], "salesOrderLines": [{"itemId": item["id"], "quantity": 2}]},
    )
    assert order["currencyCode"] == "EUR"
    assert order["salesOrderLines"][0]["unitPrice"] == 46  # 50 USD x 0.92
    nok = erp.create("currencies", {"code": "NOK", "displayName": "Krone"})
    r = erp.post("salesOrders", {"customerId": customer["id"], "currencyId": nok["id"]})
    assert r.status_code == 400 and "exchange rate" in r.text


def test_price_list_price_applies(erp: ErpClient) -> None:
    customer, item = _setup(erp)
    plist = erp.create("priceLists", {"code": "P1", "status": "Active"}, custom=True)
    erp.create(
        "priceListLines",
        {"priceListId": plist["id"], "assetNumber": "1000", "unitPrice": 85, "minimumQuantity": 5},
        custom=True,
    )
    order = erp.create(
        "salesOrders",
        {
            "customerId": customer["id"],
            "salesOrderLines": [
                {"itemId": item["id"], "quantity": 2},
                {"itemId": item["id"], "quantity": 5},
            ],
        },
    )
    assert [x["unitPrice"] for x in order["salesOrderLines"]] == [100, 85]
