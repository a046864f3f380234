"""Pure rules of posted invoices in the CRM: totals (§7.1), payment state and the steps that
reach it through the CRM's invoice states (§9), account statistics values (§7.2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from couplet.engine.model import Ref, Row
from couplet.flows.invoices.pages import totals
from couplet.flows.invoices.status import payment_state, state_steps
from couplet.flows.statistics import statistics_values

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _invoice() -> tuple[Row, list[Row]]:
    header = Row(
        "inv",
        NOW,
        {
            "totalAmountExcludingTax": Decimal("1800"),
            "totalTaxAmount": Decimal("180"),
            "totalAmountIncludingTax": Decimal("1980"),
            "discountAmount": Decimal("100"),
        },
    )
    lines = [
        Row("l1", NOW, {"discountAmount": Decimal("50")}),
        Row("l2", NOW, {"discountAmount": Decimal("25")}),
    ]
    return header, lines


def test_totals_without_sales_order_integration_add_up_the_discounts() -> None:
    header, lines = _invoice()
    got = totals(header, lines, sales_order_integration=False)
    assert got["totallineitemdiscountamount"] == 75
    assert got["totaldiscountamount"] == 175  # invoice discount + line discounts
    assert (got["totalamountlessfreight"], got["totalamount"], got["totaltax"]) == (1800, 1980, 180)
    assert got["freightamount"] == 0 and got["discountpercentage"] == 0


def test_totals_with_sales_order_integration_keep_the_erp_figures() -> None:
    header, lines = _invoice()
    got = totals(header, lines, sales_order_integration=True)
    assert got["totaldiscountamount"] == 100  # the invoice discount only
    assert got["totaltax"] == 180 and got["totalamountlessfreight"] == 1800
    assert got["totalamount"] == 1980
    assert "freightamount" not in got


def test_payment_state_follows_the_remaining_amount() -> None:
    assert payment_state(Decimal(100), Decimal(100)) == (0, 4)  # Active / Billed
    assert payment_state(Decimal(100), Decimal(40)) == (2, 100002)  # Paid / Partial
    assert payment_state(Decimal(100), Decimal(0)) == (2, 100001)  # Paid / Complete


def test_a_closed_invoice_is_reactivated_before_its_state_changes() -> None:
    assert state_steps((0, 4), (0, 4)) == []
    assert state_steps((0, 1), (2, 100001)) == [{"statecode": 2, "statuscode": 100001}]
    assert state_steps((2, 100002), (2, 100001)) == [
        {"statecode": 0, "statuscode": 4},
        {"statecode": 2, "statuscode": 100001},
    ]
    # Back to open: reactivating is all it takes.
    assert state_steps((2, 100001), (0, 4)) == [{"statecode": 0, "statuscode": 4}]
    assert state_steps((0, 1), (0, 4)) == [{"statecode": 0, "statuscode": 4}]


def test_statistics_values_carry_every_figure_and_the_account() -> None:
    figures = Row(
        "s",
        NOW,
        {
            "customerNumber": "C0001",
            "customerName": "Adatum",
            "balance": Decimal("10"),
            "outstandingOrders": Decimal("20"),
            "shippedNotInvoiced": Decimal("30"),
            "outstandingInvoices": Decimal("40"),
            "total": Decimal("100"),
            "creditLimit": Decimal("500"),
            "overdueAmounts": Decimal("5"),
            "overdueAsOfDate": "2026-01-01",
            "totalSales": Decimal("900"),
        },
    )
    values = statistics_values(figures, "acc", "usd")
    assert values["nav_name"] == "Adatum" and values["nav_customerno"] == "C0001"
    assert values["nav_accountid"] == Ref("accounts", "acc")
    assert values["transactioncurrencyid"] == Ref("transactioncurrencies", "usd")
    assert (values["nav_balancelcy"], values["nav_totallcy"], values["nav_totalsaleslcy"]) == (
        10,
        100,
        900,
    )
    assert values["nav_overdueamountsasof"] == "2026-01-01"
    assert "transactioncurrencyid" not in statistics_values(figures, "acc", None)
