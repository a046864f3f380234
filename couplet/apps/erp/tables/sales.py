"""Sales documents: quotes, orders, invoices (draft and posted), posted shipments and quote
archives, each a header with lines - docs/protocols.md §B2, docs/behaviour.md §5-§7."""

from __future__ import annotations

from ..._common.model import Field
from ..schema import (
    CUSTOM,
    STANDARD,
    F,
    Pair,
    Table,
    date,
    decimal,
    entity,
    enum,
    flag,
    guid,
    lines_nav,
    money,
    one,
    ro,
    text,
)

BOTH = (STANDARD, CUSTOM)
LINE_TYPES = ("Comment", "Account", "Item", "Resource", "Value", "Fixed Asset", "Charge")


def _address(prefix: str) -> list[Field]:
    return [
        text(f"{prefix}AddressLine1", 100),
        text(f"{prefix}AddressLine2", 50),
        text(f"{prefix}City", 30),
        text(f"{prefix}Country", 10),
        text(f"{prefix}State", 30),
        text(f"{prefix}PostCode", 20),
    ]


def _status(*options: str) -> Field:
    # Status changes only through actions (release, post, ...), never by PATCH.
    return Field(
        "status", F.STRING, max_length=20, read_only=True, default="Draft", options=options
    )


def _party_pairs() -> list[Pair]:
    return [
        Pair("customerId", "customerNumber", "customer", "number"),
        Pair("billToCustomerId", "billToCustomerNumber", "customer", "number"),
        Pair("currencyId", "currencyCode", "currency", "code"),
        Pair("paymentTermsId", None, "paymentTerm", "code"),
        Pair("shipmentMethodId", None, "shipmentMethod", "code"),
        Pair("shippingAgentId", "shippingAgentCode", "shippingAgent", "code"),
    ]


def _header(*, totals_read_only: bool = True) -> list[Field]:
    return [
        text("number", 20),
        text("externalDocumentNumber", 35),
        date("documentDate"),
        date("postingDate"),
        date("dueDate"),
        text("customerName", 100),
        text("billToName", 100),
        *_address("sellTo"),
        *_address("billTo"),
        text("shipToName", 100),
        text("shipToContact", 100),
        *_address("shipTo"),
        text("salesperson", 20),
        flag("pricesIncludeTax"),
        money("discountAmount"),
        flag("discountAppliedBeforeTax", True),
        money("totalAmountExcludingTax", read_only=totals_read_only),
        money("totalTaxAmount", read_only=totals_read_only),
        money("totalAmountIncludingTax", read_only=totals_read_only),
        text("phoneNumber", 30),
        text("email", 80),
        text("yourReference", 35),
        Field("workDescription", F.MEMO),
        decimal("paymentDiscountPercent", default=0),
        decimal("currencyFactor", read_only=True, default=1),
    ]


def _lines(extra: list[Field] | None = None) -> list[Field]:
    return [
        Field("sequence", F.INT),
        guid("itemId", "item"),
        guid("accountId", "account"),
        # No default: the server infers the type from itemId/accountId (else a comment).
        Field("lineType", F.STRING, max_length=20, options=LINE_TYPES),
        text("lineObjectNumber", 20),
        text("description", 100),
        text("description2", 50),
        text("unitOfMeasureCode", 10),
        decimal("quantity", default=0),
        money("unitPrice"),
        money("discountAmount"),
        decimal("discountPercent", default=0),
        flag("discountAppliedBeforeTax", True),
        money("amountExcludingTax", read_only=True),
        text("taxCode", 20),
        decimal("taxPercent"),
        money("totalTaxAmount", read_only=True),
        money("amountIncludingTax", read_only=True),
        money("invoiceDiscountAllocation", read_only=True),
        money("netAmount", read_only=True),
        money("netTaxAmount", read_only=True),
        money("netAmountIncludingTax", read_only=True),
        date("shipmentDate"),
        Field("attachedToSequence", F.INT),
        *(extra or []),
    ]


def _line_table(
    name: str,
    entity_set: str,
    header: str,
    extra: list[Field] | None = None,
    groups: tuple[str, ...] = BOTH,
) -> Table:
    return entity(
        name,
        entity_set,
        [guid("documentId", header, required=True), *_lines(extra)],
        groups=groups,
        pairs=[Pair("unitOfMeasureId", "unitOfMeasureCode", "unitOfMeasure", "code")],
        navs=[one("item", "item", "itemId"), one("account", "account", "accountId")],
    )


_ORDER_LINE_EXTRA = [
    decimal("shippedQuantity", read_only=True, default=0),
    decimal("invoicedQuantity", read_only=True, default=0),
    decimal("invoiceQuantity"),
    decimal("shipQuantity"),
]

_HEADER_NAVS = [
    one("customer", "customer", "customerId"),
    one("currency", "currency", "currencyId"),
    one("paymentTerm", "paymentTerm", "paymentTermsId"),
    one("shipmentMethod", "shipmentMethod", "shipmentMethodId"),
]

TABLES: list[Table] = [
    entity(
        "salesQuote",
        "salesQuotes",
        [
            *_header(),
            _status("Draft", "Sent", "Accepted", "Expired", "Open", "In Review"),
            Field("sentDate", F.DATETIME),
            date("validUntilDate"),
            date("acceptedDate"),
            date("requestedDeliveryDate"),
        ],
        groups=BOTH,
        pairs=_party_pairs(),
        navs=[lines_nav("salesQuoteLines", "salesQuoteLine"), *_HEADER_NAVS],
        number_series="S-QUO",
    ),
    _line_table("salesQuoteLine", "salesQuoteLines", "salesQuote"),
    entity(
        "salesOrder",
        "salesOrders",
        [
            *_header(),
            date("orderDate"),
            _status("Draft", "In Review", "Open"),
            flag("partialShipping", True),
            date("requestedDeliveryDate"),
            Field("fullyShipped", F.BOOL, read_only=True, default=False),
            text("quoteNumber", 20),
            Field("lastShipmentDate", F.DATE, read_only=True),
        ],
        groups=BOTH,
        pairs=_party_pairs(),
        navs=[lines_nav("salesOrderLines", "salesOrderLine"), *_HEADER_NAVS],
        number_series="S-ORD",
    ),
    _line_table("salesOrderLine", "salesOrderLines", "salesOrder", _ORDER_LINE_EXTRA),
    entity(
        "salesInvoice",
        "salesInvoices",
        [
            *_header(),
            date("invoiceDate"),
            date("promisedPayDate"),
            text("customerPurchaseOrderReference", 35),
            Field("orderId", F.GUID, read_only=True),
            ro("orderNumber", length=20),
            enum("disputeStatus", " ", "Disputed"),
            money("remainingAmount", read_only=True),
            _status(" ", "Draft", "In Review", "Open", "Paid", "Canceled", "Corrective"),
            date("shipmentDate"),
            Field("posted", F.BOOL, read_only=True, default=False, hidden=True),
        ],
        groups=BOTH,
        pairs=_party_pairs(),
        navs=[lines_nav("salesInvoiceLines", "salesInvoiceLine"), *_HEADER_NAVS],
        number_series="S-INV",
    ),
    _line_table("salesInvoiceLine", "salesInvoiceLines", "salesInvoice"),
    entity(
        "salesShipment",
        "salesShipments",
        [
            ro("number", length=20),
            ro("externalDocumentNumber", length=35),
            Field("documentDate", F.DATE, read_only=True),
            Field("postingDate", F.DATE, read_only=True),
            Field("customerId", F.GUID, read_only=True),
            ro("customerNumber", length=20),
            ro("customerName"),
            Field("orderId", F.GUID, read_only=True),
            ro("orderNumber", length=20),
            ro("yourReference", length=35),
            ro("shipToName"),
            ro("shipToAddressLine1"),
            ro("shipToCity", length=30),
            ro("shipToPostCode", length=20),
            ro("shipToCountry", length=10),
            ro("currencyCode", length=10),
        ],
        navs=[lines_nav("salesShipmentLines", "salesShipmentLine")],
        groups=BOTH,
    ),
    entity(
        "salesShipmentLine",
        "salesShipmentLines",
        [
            Field("documentId", F.GUID, read_only=True),
            ro("documentNo", length=20),
            Field("sequence", F.INT, read_only=True),
            Field("lineType", F.STRING, max_length=20, read_only=True),
            ro("lineObjectNumber", length=20),
            ro("description"),
            ro("unitOfMeasureCode", length=10),
            Field("unitPrice", F.MONEY, read_only=True),
            Field("quantity", F.DECIMAL, read_only=True),
            Field("discountPercent", F.DECIMAL, read_only=True),
            Field("taxPercent", F.DECIMAL, read_only=True),
            Field("shipmentDate", F.DATE, read_only=True),
            Field("orderLineId", F.GUID, read_only=True, hidden=True),
        ],
        groups=BOTH,
    ),
    entity(
        "salesQuoteArchive",
        "salesQuoteArchives",
        [
            ro("quoteNumber", length=20),
            Field("versionNumber", F.INT, read_only=True),
            Field("archivedDateTime", F.DATETIME, read_only=True),
            Field("quoteId", F.GUID, read_only=True),
            Field("customerId", F.GUID, read_only=True),
            ro("customerNumber", length=20),
            ro("customerName"),
            ro("externalDocumentNumber", length=35),
            ro("yourReference", length=35),
            ro("status", length=20),
            Field("documentDate", F.DATE, read_only=True),
            Field("validUntilDate", F.DATE, read_only=True),
            ro("currencyCode", length=10),
            Field("discountAmount", F.MONEY, read_only=True),
            Field("totalAmountExcludingTax", F.MONEY, read_only=True),
            Field("totalTaxAmount", F.MONEY, read_only=True),
            Field("totalAmountIncludingTax", F.MONEY, read_only=True),
        ],
        groups=(CUSTOM,),
        navs=[lines_nav("salesQuoteArchiveLines", "salesQuoteArchiveLine")],
    ),
    entity(
        "salesQuoteArchiveLine",
        "salesQuoteArchiveLines",
        [Field("documentId", F.GUID, read_only=True), *_lines()],
        groups=(CUSTOM,),
    ),
    entity(
        "note",
        "notes",
        [
            enum("parentType", "Sales Order", "Sales Quote", "Sales Invoice", "Customer", "Item"),
            Field("parentId", F.GUID, required=True),
            text("title", 250),
            Field("note", F.MEMO),
            Field("createdDateTime", F.DATETIME),
            text("createdBy", 50),
        ],
        groups=(CUSTOM,),
    ),
]
