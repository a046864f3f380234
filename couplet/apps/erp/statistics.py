"""Customer statistics and item availability: summaries the integration reads.

`customerStatistics` (one row per customer, LCY; docs/behaviour.md §7.2):
  balance             sum of the customer's remaining ledger amounts
  outstandingOrders   amount incl. tax of order quantities not yet shipped
  shippedNotInvoiced  amount incl. tax of shipped, not yet invoiced order quantities
  outstandingInvoices amount incl. tax of unposted (draft) invoices
  total               balance + the three above
  creditLimit         the customer's credit limit
  overdueAmounts      remaining amounts of entries due before today (overdueAsOfDate)
  totalSales          sales excl. tax of posted invoices less credit memos
`itemAvailability` (one row per item): inventory, quantity on open sales orders and what is
left. Rows are refreshed once per transaction for the customers and items it touched, and
before they are read (the overdue amounts depend on today's date).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .._common.records import Tx
from .amounts import ZERO, d, share
from .blanks import insert_system
from .currencies import to_lcy
from .flowfields import total


def flush(tx: Tx) -> None:
    for customer_id in sorted(tx.scratch.pop("customers", set())):
        refresh_customer(tx, customer_id)
    for item_id in sorted(tx.scratch.pop("items", set())):
        refresh_item(tx, item_id)


def before_read(tx: Tx, entity: str, company_id: str) -> None:
    """Brings computed views up to date before they are read."""
    flush(tx)
    if entity == "customerStatistic":
        table = tx.model.table("customerStatistic")
        stale = tx.conn.execute(
            sa.select(table.c.customerId).where(
                table.c.companyId == company_id, table.c.overdueAsOfDate != tx.now.date()
            )
        ).scalars()
        for customer_id in list(stale):
            refresh_customer(tx, customer_id)


def _upsert(
    tx: Tx, entity: str, key_field: str, key: str, company_id: str, values: dict[str, Any]
) -> None:
    row = tx.first(entity, **{key_field: key})
    if row is None:
        insert_system(tx, entity, {"companyId": company_id, key_field: key, **values})
        return
    changed = {
        k: v
        for k, v in values.items()
        if (d(row.get(k)) != v if isinstance(v, Decimal) else row.get(k) != v)
    }
    if changed:
        tx.update(entity, row["id"], changed, internal=True)


def _order_amounts(tx: Tx, customer_id: str) -> tuple[Decimal, Decimal]:
    headers = tx.model.table("salesOrder")
    lines = tx.model.table("salesOrderLine")
    query = (
        sa.select(
            lines.c.quantity,
            lines.c.shippedQuantity,
            lines.c.invoicedQuantity,
            lines.c.netAmountIncludingTax,
            headers.c.currencyFactor,
        )
        .join(headers, headers.c.id == lines.c.documentId)
        .where(headers.c.customerId == customer_id, lines.c.lineType != "Comment")
    )
    outstanding = shipped_not_invoiced = ZERO
    for row in tx.conn.execute(query):
        quantity, amount = d(row.quantity), d(row.netAmountIncludingTax)
        shipped, invoiced = d(row.shippedQuantity), d(row.invoicedQuantity)
        outstanding += to_lcy(share(amount, quantity - shipped, quantity), row.currencyFactor)
        shipped_not_invoiced += to_lcy(
            share(amount, shipped - invoiced, quantity), row.currencyFactor
        )
    return outstanding, shipped_not_invoiced


def _draft_invoices(tx: Tx, customer_id: str) -> Decimal:
    table = tx.model.table("salesInvoice")
    rows = tx.conn.execute(
        sa.select(table.c.totalAmountIncludingTax, table.c.currencyFactor).where(
            table.c.customerId == customer_id, table.c.posted.is_(False)
        )
    )
    return sum((to_lcy(d(r.totalAmountIncludingTax), r.currencyFactor) for r in rows), ZERO)


def refresh_customer(tx: Tx, customer_id: str) -> None:
    customer = tx.get("customer", customer_id)
    if customer is None:
        return
    today = tx.now.date()
    entries = tx.model.table("customerLedgerEntry")
    overdue = tx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(entries.c.remainingAmountLcy), 0)).where(
            entries.c.customerId == customer_id, entries.c.open.is_(True), entries.c.dueDate < today
        )
    ).scalar()
    balance = d(total(tx, "customerLedgerEntry", "remainingAmountLcy", customerId=customer_id))
    outstanding, shipped = _order_amounts(tx, customer_id)
    invoices = _draft_invoices(tx, customer_id)
    _upsert(
        tx,
        "customerStatistic",
        "customerId",
        customer_id,
        customer["companyId"],
        _customer_values(
            customer,
            today,
            balance=balance,
            outstanding=outstanding,
            shipped=shipped,
            invoices=invoices,
            overdue=d(overdue),
            sales=d(total(tx, "customerLedgerEntry", "salesLcy", customerId=customer_id)),
        ),
    )


def new_customer_row(customer: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The statistics of a customer without entries or documents (all zero), for bulk
    writers that create many customers at once instead of refreshing each."""
    return {
        "companyId": customer["companyId"],
        "customerId": customer["id"],
        **_customer_values(customer, today),
    }


def _customer_values(
    customer: dict[str, Any],
    today: dt.date,
    *,
    balance: Decimal = ZERO,
    outstanding: Decimal = ZERO,
    shipped: Decimal = ZERO,
    invoices: Decimal = ZERO,
    overdue: Decimal = ZERO,
    sales: Decimal = ZERO,
) -> dict[str, Any]:
    return {
        "customerNumber": customer["number"],
        "customerName": customer["displayName"],
        "balance": balance,
        "outstandingOrders": outstanding,
        "shippedNotInvoiced": shipped,
        "outstandingInvoices": invoices,
        "total": balance + outstanding + shipped + invoices,
        "creditLimit": d(customer["creditLimit"]),
        "overdueAmounts": overdue,
        "overdueAsOfDate": today,
        "totalSales": sales,
    }


def refresh_item(tx: Tx, item_id: str) -> None:
    item = tx.get("item", item_id)
    if item is None:
        for row in tx.find("itemAvailability", itemId=item_id):
            tx.delete("itemAvailability", row["id"], internal=True)
        return
    lines = tx.model.table("salesOrderLine")
    on_orders = d(
        tx.conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(lines.c.quantity - lines.c.shippedQuantity), 0)
            ).where(lines.c.itemId == item_id)
        ).scalar()
    )
    inventory = d(item["inventory"])
    _upsert(
        tx,
        "itemAvailability",
        "itemId",
        item_id,
        item["companyId"],
        {
            "itemNumber": item["number"],
            "displayName": item["displayName"],
            "inventory": inventory,
            "quantityOnSalesOrders": on_orders,
            "availableInventory": inventory - on_orders,
            "baseUnitOfMeasureCode": item.get("baseUnitOfMeasureCode") or "",
        },
    )
