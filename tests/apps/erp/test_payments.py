"""Payments through the customer payment journal, applied to posted invoices partially or
fully; unapply and apply again; invoice status Open/Paid; statistics after posting."""

from __future__ import annotations

from typing import Any

from tests.helpers import ErpClient


def _invoice(
    erp: ErpClient, amount: int = 100, terms: str = "30 DAYS"
) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = erp.create("customers", {"displayName": "Payer", "paymentTermsCode": terms})
    item = erp.create(
        "items", {"displayName": "Service hour", "type": "Service", "unitPrice": amount}
    )
    draft = erp.create(
        "salesInvoices",
        {
            "customerId": customer["id"],
            "salesInvoiceLines": [{"itemId": item["id"], "quantity": 1, "taxPercent": 0}],
        },
    )
    assert erp.action(f"salesInvoices({draft['id']})/Microsoft.NAV.post").status_code == 204
    return customer, erp.row(f"salesInvoices({draft['id']})")


def _journal(erp: ErpClient) -> dict[str, Any]:
    return erp.rows("customerPaymentJournals", **{"$filter": "code eq 'PAYMENT'"})[0]


def _pay(erp: ErpClient, invoice: dict[str, Any], amount: float) -> None:
    journal = _journal(erp)
    line = erp.create(
        f"customerPaymentJournals({journal['id']})/customerPayments",
        {"appliesToInvoiceNumber": invoice["number"], "amount": -amount},
    )
    assert line["customerId"] == invoice["customerId"]
    assert line["appliesToInvoiceId"] == invoice["id"] and line["journalDisplayName"] == "PAYMENT"
    r = erp.action(f"customerPaymentJournals({journal['id']})/Microsoft.NAV.post")
    assert r.status_code == 204, r.text


def test_partial_then_full_payment(erp: ErpClient) -> None:
    customer, invoice = _invoice(erp)
    _pay(erp, invoice, 40)
    partly = erp.row(f"salesInvoices({invoice['id']})")
    assert partly["remainingAmount"] == 60 and partly["status"] == "Open"
    assert erp.rows("customerPayments") == []  # posted lines leave the journal
    assert erp.row(f"customers({customer['id']})")["balanceDue"] == 60
    _pay(erp, invoice, 60)
    paid = erp.row(f"salesInvoices({invoice['id']})")
    assert paid["remainingAmount"] == 0 and paid["status"] == "Paid"
    entries = erp.rows("customerLedgerEntries", custom=True, **{"$orderby": "entryNumber"})
    assert [(e["documentType"], e["amount"], e["remainingAmount"], e["open"]) for e in entries] == [
        ("Invoice", 100, 0, False),
        ("Payment", -40, 0, False),
        ("Payment", -60, 0, False),
    ]
    details = erp.rows(
        f"customerLedgerEntries({entries[0]['id']})/detailedCustomerLedgerEntries", custom=True
    )
    assert sorted(x["amount"] for x in details) == [-60, -40, 100]


def test_unapply_restores_the_remaining_amount_and_apply_again(erp: ErpClient) -> None:
    customer, invoice = _invoice(erp)
    _pay(erp, invoice, 100)
    payment = erp.rows(
        "customerLedgerEntries", custom=True, **{"$filter": "documentType eq 'Payment'"}
    )[0]
    r = erp.action(f"customerLedgerEntries({payment['id']})/Microsoft.NAV.unapply", custom=True)
    assert r.status_code == 204, r.text
    reopened = erp.row(f"salesInvoices({invoice['id']})")
    assert reopened["status"] == "Open" and reopened["remainingAmount"] == 100
    assert erp.row(f"customers({customer['id']})")["balanceDue"] == 0  # payment still counts
    r = erp.post(
        f"customerLedgerEntries({payment['id']})/Microsoft.NAV.apply",
        {"appliesToInvoiceId": invoice["id"], "amount": 30},
        custom=True,
    )
    assert r.status_code == 204, r.text
    assert erp.row(f"salesInvoices({invoice['id']})")["remainingAmount"] == 70
    r = erp.action(f"customerLedgerEntries({payment['id']})/Microsoft.NAV.unapply", custom=True)
    r = erp.action(f"customerLedgerEntries({payment['id']})/Microsoft.NAV.unapply", custom=True)
    assert r.status_code == 400


def test_payment_without_invoice_and_validation(erp: ErpClient) -> None:
    customer, invoice = _invoice(erp)
    journal = _journal(erp)
    path = f"customerPaymentJournals({journal['id']})/customerPayments"
    r = erp.post(path, {"appliesToInvoiceNumber": "NOPE", "amount": 1})
    assert r.status_code == 400 and "appliesToInvoiceNumber" in r.text
    other = erp.create("customers", {"displayName": "Other"})
    r = erp.post(
        path, {"customerId": other["id"], "appliesToInvoiceId": invoice["id"], "amount": 5}
    )
    assert r.status_code == 400 and "another customer" in r.text
    erp.create(path, {"customerNumber": customer["number"], "amount": 25})  # positive: received
    erp.create(path, {"customerNumber": other["number"], "amount": 0})
    r = erp.action(f"customerPaymentJournals({journal['id']})/Microsoft.NAV.post")
    assert r.status_code == 400 and "amount" in r.text
    assert len(erp.rows("customerPayments")) == 2  # nothing was posted
    zero = next(x for x in erp.rows("customerPayments") if x["amount"] == 0)
    erp.delete(f"customerPayments({zero['id']})")
    assert (
        erp.action(f"customerPaymentJournals({journal['id']})/Microsoft.NAV.post").status_code
        == 204
    )
    assert erp.row(f"customers({customer['id']})")["balanceDue"] == 75
    assert erp.row(f"salesInvoices({invoice['id']})")["remainingAmount"] == 100


def test_statistics_overdue_and_total_sales(erp: ErpClient) -> None:
    customer, _ = _invoice(erp, amount=80, terms="COD")
    erp.patch(f"customers({customer['id']})", {"creditLimit": 500})
    stats = erp.rows(
        "customerStatistics",
        custom=True,
        **{"$filter": f"customerNumber eq '{customer['number']}'"},
    )[0]
    assert stats["customerId"] == customer["id"]
    assert stats["balance"] == 80 and stats["totalSales"] == 80
    assert stats["creditLimit"] == 500 and stats["total"] == 80
    # Due today (cash on delivery), so not overdue yet.
    assert stats["overdueAmounts"] == 0


def test_overdue_amounts_follow_the_clock(database_url: str) -> None:
    import datetime as dt

    from tests.helpers import erp_client

    now = [dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)]
    with erp_client(database_url, clock=lambda: now[0]) as erp:
        _customer, invoice = _invoice(erp, amount=50, terms="14 DAYS")
        assert invoice["dueDate"] == "2025-03-15"
        stats = erp.rows("customerStatistics", custom=True)[0]
        assert stats["overdueAmounts"] == 0 and stats["overdueAsOfDate"] == "2025-03-01"
        now[0] = dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)
        erp.token = erp.as_client("admin-client", "admin-secret").token  # fresh token
        stats = erp.rows("customerStatistics", custom=True)[0]
        assert stats["overdueAmounts"] == 50 and stats["overdueAsOfDate"] == "2025-03-20"
