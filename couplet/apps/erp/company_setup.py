"""What a fresh company holds: company information, sales setup, a small chart of
accounts with a freight account, units, payment terms, shipment methods, shipping agents,
currencies with exchange rates and a payment journal - enough to sell at once, like
Business Central's CRONUS demo company but smaller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .._common.records import Tx

FREIGHT_ACCOUNT = "40400"

ACCOUNTS = [
    ("10100", "Checking Account", "Assets"),
    ("13100", "Accounts Receivable", "Assets"),
    ("14100", "Inventory", "Assets"),
    ("22100", "Accounts Payable", "Liabilities"),
    ("24100", "Sales Tax Payable", "Liabilities"),
    ("40100", "Sales, Goods", "Income"),
    ("40200", "Sales, Services", "Income"),
    (FREIGHT_ACCOUNT, "Freight Fees for Goods", "Income"),
    ("40500", "Invoice Rounding", "Income"),
    ("50100", "Cost of Goods Sold", "CostOfGoodsSold"),
    ("60100", "Freight Costs", "Expense"),
]
UNITS = [
    ("PCS", "Piece", "H87"),
    ("BOX", "Box", "BX"),
    ("HOUR", "Hour", "HUR"),
    ("KG", "Kilogram", "KGM"),
    ("DAY", "Day", "DAY"),
]
PAYMENT_TERMS = [
    ("14 DAYS", "Net 14 days", "14D"),
    ("30 DAYS", "Net 30 days", "30D"),
    ("1M(8D)", "1 Month/2% 8 days", "1M"),
    ("CM", "Current Month", "CM"),
    ("COD", "Cash on delivery", "0D"),
]
SHIPMENT_METHODS = [
    ("CIF", "Cost Insurance and Freight"),
    ("EXW", "Ex Warehouse"),
    ("FOB", "Free on Board"),
    ("PICKUP", "Pickup at Location"),
]
SHIPPING_AGENTS = [
    ("DHL", "DHL Systems, Inc."),
    ("FEDEX", "Federal Express Corporation"),
    ("UPS", "UPS Europe"),
]
CURRENCIES = [
    ("EUR", "Euro", "€", Decimal("0.92")),
    ("GBP", "Pound Sterling", "£", Decimal("0.79")),
]


def create_company(tx: Tx, name: str, lcy: str, tax_percent: Decimal) -> str:
    company = tx.insert(
        "company", {"name": name, "displayName": name, "systemVersion": "couplet.1"}
    )
    cid = str(company["id"])

    def add(entity: str, **values: Any) -> dict[str, Any]:
        return tx.insert(entity, {"companyId": cid, **values})

    add(
        "companyInformation",
        displayName=name,
        currencyCode=lcy,
        currentFiscalYearStartDate=dt.date(tx.now.year, 1, 1),
    )
    for number, display, category in ACCOUNTS:
        add("account", number=number, displayName=display, category=category)
    add(
        "salesSetup",
        writeInProductType="Item",
        freightAccountNumber=FREIGHT_ACCOUNT,
        defaultTaxPercent=tax_percent,
    )
    for code, display, iso in UNITS:
        add(
            "unitOfMeasure",
            code=code,
            displayName=display,
            internationalStandardCode=iso,
            symbol=code.lower(),
        )
    for code, display, formula in PAYMENT_TERMS:
        add("paymentTerm", code=code, displayName=display, dueDateCalculation=formula)
    for code, display in SHIPMENT_METHODS:
        add("shipmentMethod", code=code, displayName=display)
    for code, display in SHIPPING_AGENTS:
        add("shippingAgent", code=code, displayName=display)
    for code, display, symbol, rate in CURRENCIES:
        currency = add(
            "currency",
            code=code,
            displayName=display,
            symbol=symbol,
            amountDecimalPlaces="2:2",
            amountRoundingPrecision=Decimal("0.01"),
        )
        add(
            "currencyExchangeRate",
            currencyId=currency["id"],
            startingDate=dt.date(2000, 1, 1),
            exchangeRateAmount=rate,
            relationalExchangeRateAmount=1,
        )
    bank = tx.first("account", companyId=cid, number="10100")
    assert bank is not None
    add(
        "customerPaymentJournal",
        code="PAYMENT",
        displayName="Customer payments",
        balancingAccountId=bank["id"],
        balancingAccountNumber=bank["number"],
    )
    return cid
