"""Ledgers, journals, setup and computed views: what posting writes and what the
integration reads back (inventory, balances, statistics) - issue 3, DESIGN contract details."""

from __future__ import annotations

from ..._common.model import Field
from ..schema import (
    CUSTOM,
    STANDARD,
    F,
    Pair,
    Table,
    date,
    entity,
    enum,
    guid,
    lines_nav,
    money,
    ro,
    text,
)

BOTH = (STANDARD, CUSTOM)


def _ro(name: str, kind: F) -> Field:
    return Field(name, kind, read_only=True)


TABLES: list[Table] = [
    entity(
        "itemLedgerEntry",
        "itemLedgerEntries",
        [
            _ro("entryNumber", F.INT),
            _ro("itemId", F.GUID),
            ro("itemNumber", length=20),
            _ro("postingDate", F.DATE),
            ro("entryType", length=20),
            ro("sourceNumber", length=20),
            ro("sourceType", length=20),
            ro("documentNumber", length=20),
            ro("documentType", length=30),
            ro("description"),
            _ro("quantity", F.DECIMAL),
            _ro("salesAmountActual", F.MONEY),
            _ro("costAmountActual", F.MONEY),
        ],
        groups=BOTH,
    ),
    entity(
        "customerLedgerEntry",
        "customerLedgerEntries",
        [
            _ro("entryNumber", F.INT),
            _ro("customerId", F.GUID),
            ro("customerNumber", length=20),
            _ro("postingDate", F.DATE),
            _ro("dueDate", F.DATE),
            ro("documentType", length=20),
            ro("documentNumber", length=20),
            ro("externalDocumentNumber", length=35),
            ro("description"),
            ro("currencyCode", length=10),
            _ro("amount", F.MONEY),
            _ro("amountLcy", F.MONEY),
            _ro("remainingAmount", F.MONEY),
            _ro("remainingAmountLcy", F.MONEY),
            _ro("salesLcy", F.MONEY),
            _ro("open", F.BOOL),
            _ro("closedAtDate", F.DATE),
            _ro("invoiceId", F.GUID),
        ],
        groups=(CUSTOM,),
        navs=[lines_nav("detailedCustomerLedgerEntries", "detailedCustomerLedgerEntry")],
    ),
    entity(
        "detailedCustomerLedgerEntry",
        "detailedCustomerLedgerEntries",
        [
            _ro("entryNumber", F.INT),
            _ro("documentId", F.GUID),  # the customer ledger entry it details
            _ro("customerLedgerEntryNumber", F.INT),
            ro("entryType", length=30),
            _ro("postingDate", F.DATE),
            ro("documentType", length=20),
            ro("documentNumber", length=20),
            ro("customerNumber", length=20),
            _ro("amount", F.MONEY),
            _ro("amountLcy", F.MONEY),
            _ro("appliedEntryId", F.GUID),
            _ro("transactionNumber", F.INT),
            _ro("unapplied", F.BOOL),
        ],
        groups=(CUSTOM,),
    ),
    entity(
        "customerPaymentJournal",
        "customerPaymentJournals",
        [
            text("code", 10, required=True),
            text("displayName", 100),
            Field("balancingAccountId", F.GUID, ref=("account",)),
            ro("balancingAccountNumber", length=20),
        ],
        groups=BOTH,
        navs=[lines_nav("customerPayments", "customerPayment")],
    ),
    entity(
        "customerPayment",
        "customerPayments",
        [
            guid("journalId", "customerPaymentJournal", required=True),
            ro("journalDisplayName", length=10),
            Field("lineNumber", F.INT),
            Field("contactId", F.GUID),
            date("postingDate"),
            text("documentNumber", 20),
            text("externalDocumentNumber", 35),
            money("amount"),
            text("description", 100),
            text("comment", 250),
            Field("documentId", F.GUID, hidden=True),  # = journalId, for the journal's nav
        ],
        groups=BOTH,
        pairs=[
            Pair("customerId", "customerNumber", "customer", "number"),
            Pair("appliesToInvoiceId", "appliesToInvoiceNumber", "salesInvoice", "number"),
        ],
    ),
    entity(
        "itemAdjustment",
        "itemAdjustments",
        [
            Field("quantity", F.DECIMAL, required=True),
            money("unitCost"),
            date("postingDate"),
            text("documentNumber", 20),
            text("description", 100),
            _ro("itemLedgerEntryNumber", F.INT),
        ],
        groups=(CUSTOM,),
        pairs=[Pair("itemId", "itemNumber", "item", "number")],
    ),
    entity(
        "customerStatistic",
        "customerStatistics",
        [
            _ro("customerId", F.GUID),
            ro("customerNumber", length=20),
            ro("customerName"),
            _ro("balance", F.MONEY),
            _ro("outstandingOrders", F.MONEY),
            _ro("shippedNotInvoiced", F.MONEY),
            _ro("outstandingInvoices", F.MONEY),
            _ro("total", F.MONEY),
            _ro("creditLimit", F.MONEY),
            _ro("overdueAmounts", F.MONEY),
            _ro("overdueAsOfDate", F.DATE),
            _ro("totalSales", F.MONEY),
        ],
        groups=(CUSTOM,),
    ),
    entity(
        "itemAvailability",
        "itemAvailability",
        [
            _ro("itemId", F.GUID),
            ro("itemNumber", length=20),
            ro("displayName"),
            _ro("inventory", F.DECIMAL),
            _ro("quantityOnSalesOrders", F.DECIMAL),
            _ro("availableInventory", F.DECIMAL),
            ro("baseUnitOfMeasureCode", length=10),
        ],
        groups=(CUSTOM,),
    ),
    entity(
        "salesSetup",
        "salesSetup",
        [
            enum("writeInProductType", "Item", "Resource"),
            text("writeInProductNumber", 20),
            text("freightAccountNumber", 20),
            Field("defaultTaxPercent", F.DECIMAL, default=0),
            enum("archiveQuotes", "Never", "Question", "Always", default="Always"),
            Field("archiveOrders", F.BOOL, default=False),
        ],
        groups=(CUSTOM,),
    ),
    entity(
        "user",
        "users",
        [
            text("userName", 50, required=True),
            enum("permissionSet", "SUPER", "D365 READ"),
            Field("enabled", F.BOOL, default=True),
        ],
        groups=(),
        company_scoped=False,
    ),
    entity(
        "subscription",
        "subscriptions",
        [
            text("subscriptionId", 36),
            text("notificationUrl", 2048, required=True),
            text("resource", 2048, required=True),
            text("clientState", 2048),
            _ro("expirationDateTime", F.DATETIME),
            _ro("userId", F.GUID),
            _ro("timestamp", F.BIGINT),
            Field("pending", F.BOOL, read_only=True, hidden=True),
        ],
        groups=(),
        company_scoped=False,
    ),
]
