"""Sample data: what `seed_erp` creates, seen through the API, that its numbers add up
(inventory, ledgers, statistics), and that it is repeatable."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from couplet.apps.erp.seed import AlreadySeeded, open_erp_tx, seed_erp
from tests.helpers import ErpClient

SMALL = {
    "customers": 30,
    "contacts_per_customer": 2,
    "items": 12,
    "resources": 3,
    "quotes": 4,
    "orders": 6,
    "invoices": 3,
}


def _seed(database_url: str, seed: int = 42, **counts: int) -> dict[str, int]:
    with open_erp_tx(database_url) as tx:
        return seed_erp(tx, seed=seed, **{**SMALL, **counts})


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def test_counts_match_the_api(erp: ErpClient, database_url: str) -> None:
    counts = _seed(database_url)
    assert counts["customers"] == 30 and counts["contacts"] == 90
    assert counts["salesOrders"] == 6 and counts["salesInvoices"] == 3
    custom = {
        "resources",
        "priceLists",
        "priceListLines",
        "itemUnitsOfMeasure",
        "itemAdjustments",
        "customerStatistics",
    }
    # Posted payments leave the journal; fully invoiced orders are deleted (as in BC).
    for entity_set in set(counts) - {"customerPayments"}:
        r = erp.get(f"{entity_set}/$count", custom=entity_set in custom)
        assert r.status_code == 200, (entity_set, r.text)
        expected = counts[entity_set]
        if entity_set == "itemUnitsOfMeasure":  # every item also has its base unit
            expected += counts["items"]
        assert int(r.text) == expected, entity_set
    with pytest.raises(AlreadySeeded):
        _seed(database_url)


def test_customers_have_contacts_salespeople_and_statistics(
    erp: ErpClient, database_url: str
) -> None:
    _seed(database_url)
    salespeople = {s["code"] for s in erp.rows("salespeoplePurchasers")}
    contacts = erp.rows("contacts")
    stats = {s["customerId"]: s for s in erp.rows("customerStatistics", custom=True)}
    customers = erp.rows("customers")
    assert len({c["number"] for c in customers}) == 30
    for customer in customers:
        assert customer["addressLine1"] and customer["city"] and customer["phoneNumber"]
        assert customer["country"] in {"US", "GB", "DE", "NL", "FR"}
        assert customer["salespersonCode"] in salespeople
        assert customer["paymentTermsCode"] and customer["shipmentMethodId"]
        assert customer["currencyCode"] in ("", "EUR", "GBP")
        company = [
            c
            for c in contacts
            if c["type"] == "Company" and c["companyName"] == customer["displayName"]
        ]
        assert len(company) == 1 and company[0]["contactBusinessRelation"] == "Customer"
        people = [
            c
            for c in contacts
            if c["type"] == "Person" and c["companyNumber"] == company[0]["number"]
        ]
        assert len(people) == 2
        assert all(p["contactBusinessRelation"] == "Customer" for p in people)
        assert customer["primaryContactNumber"] == people[0]["number"] or (
            customer["primaryContactNumber"] in {p["number"] for p in people}
        )
        assert stats[customer["id"]]["customerNumber"] == customer["number"]
        assert _dec(stats[customer["id"]]["creditLimit"]) == _dec(customer["creditLimit"])
    # A customer created by a client afterwards gets the same as the seeded ones.
    new = erp.create("customers", {"displayName": "Late Arrival"})
    assert new["number"] == "C00031"


def test_inventory_is_adjustments_less_shipments(erp: ErpClient, database_url: str) -> None:
    _seed(database_url)
    adjusted: dict[str, Decimal] = defaultdict(Decimal)
    for adj in erp.rows("itemAdjustments", custom=True):
        adjusted[adj["itemId"]] += _dec(adj["quantity"])
    sold: dict[str, Decimal] = defaultdict(Decimal)
    for entry in erp.rows("itemLedgerEntries"):
        if entry["entryType"] == "Sale":
            sold[entry["itemId"]] += _dec(entry["quantity"])
    assert sum(sold.values()) < 0, "some orders were shipped"
    for item in erp.rows("items"):
        assert _dec(item["inventory"]) == adjusted[item["id"]] + sold[item["id"]] > 0
    shipments = erp.rows("salesShipments")
    assert len(shipments) == 4  # three invoiced orders and one shipped only


def test_ledgers_and_statistics_add_up(erp: ErpClient, database_url: str) -> None:
    _seed(database_url)
    invoices = sorted(erp.rows("salesInvoices"), key=lambda i: i["number"])
    assert [i["status"] for i in invoices] == ["Paid", "Open", "Open"]
    entries = erp.rows("customerLedgerEntries", custom=True)
    payments = [e for e in entries if e["documentType"] == "Payment"]
    assert len(payments) == 2
    by_invoice = {e["invoiceId"]: e for e in entries if e["documentType"] == "Invoice"}
    half = by_invoice[invoices[1]["id"]]
    assert _dec(half["remainingAmount"]) == _dec(invoices[1]["totalAmountIncludingTax"]) - (
        _dec(invoices[1]["totalAmountIncludingTax"]) / 2
    ).quantize(Decimal("0.01"))
    balances: dict[str, Decimal] = defaultdict(Decimal)
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        balances[e["customerId"]] += _dec(e["remainingAmountLcy"])
        sales[e["customerId"]] += _dec(e["salesLcy"])
    stats = erp.rows("customerStatistics", custom=True)
    for s in stats:
        assert _dec(s["balance"]) == balances[s["customerId"]]
        assert _dec(s["totalSales"]) == sales[s["customerId"]]
        assert _dec(s["total"]) == sum(
            _dec(s[k])
            for k in ("balance", "outstandingOrders", "shippedNotInvoiced", "outstandingInvoices")
        )
    assert sum(_dec(s["balance"]) for s in stats) > 0
    assert sum(_dec(s["outstandingOrders"]) for s in stats) > 0
    assert sum(_dec(s["shippedNotInvoiced"]) for s in stats) > 0
    orders = erp.rows("salesOrders")
    assert {o["status"] for o in orders} == {"Draft", "Open"}
    assert all(o["totalAmountIncludingTax"] > 0 for o in orders)


def test_same_seed_same_data(tmp_path: Any) -> None:
    def content(name: str, seed: int) -> list[tuple[Any, ...]]:
        url = f"sqlite:///{tmp_path}/{name}.db"
        _seed(url, seed=seed, quotes=0, orders=0, invoices=0)
        with open_erp_tx(url) as tx:
            rows = [(c["number"], c["displayName"], c["city"]) for c in tx.find("customer")]
            rows += [(i["number"], i["displayName"], str(i["unitPrice"])) for i in tx.find("item")]
        return sorted(rows)

    first = content("a", 7)
    assert first == content("b", 7)
    assert first != content("c", 8)


def test_refuses_impossible_counts(database_url: str) -> None:
    with pytest.raises(ValueError, match="items"):
        _seed(database_url, items=10_000)
    with pytest.raises(ValueError, match="customer"):
        _seed(database_url, customers=0)
