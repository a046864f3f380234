"""The CRM's tables: Dynamics 365 Sales entities with the attributes the integration uses.

Logical names, choice values and state/status codes follow Dataverse (see
docs/protocols.md §A3 and docs/behaviour.md §1.2, §5-§7).
"""

from __future__ import annotations

from .._common.model import Field, FieldType, Nav
from .schema import Table, choice, lookup, money, option, states, table, text

F = FieldType

ACTIVE_INACTIVE = states((0, 1, {1}), (1, 2, {2}))

CUSTOMER_TYPES = {
    1: "Competitor",
    2: "Consultant",
    3: "Customer",
    4: "Investor",
    5: "Partner",
    6: "Influencer",
    7: "Press",
    8: "Prospect",
    9: "Reseller",
    10: "Supplier",
    11: "Vendor",
    12: "Other",
    13: "Insurance carrier",
}
PAYMENT_TERMS = {1: "Net 30", 2: "2% 10, Net 30", 3: "Net 45", 4: "Net 60"}
FREIGHT_TERMS = {1: "FOB", 2: "No Charge"}
SHIPPING_METHODS = {
    1: "Airborne",
    2: "DHL",
    3: "FedEx",
    4: "UPS",
    5: "Postal Mail",
    6: "Full Load",
    7: "Will Call",
}
# Option sets that clients may extend (the integration adds payment terms, freight terms and
# shipping methods from the ERP); `address1_x` on accounts shares the set of `x`.
EXTENSIBLE_OPTIONS = {
    "paymenttermscode": PAYMENT_TERMS,
    "freighttermscode": FREIGHT_TERMS,
    "shippingmethodcode": SHIPPING_METHODS,
}
PRODUCT_TYPES = {1: "Sales Inventory", 2: "Miscellaneous Charges", 3: "Services", 4: "Flat Fees"}

SALESORDER_STATES = states(
    (0, 1, {1, 2, 690970000}),
    (1, 3, {3}),
    (2, 4, {4}),
    (3, 100001, {100001, 100002}),
    (4, 100003, {100003}),
)
QUOTE_STATES = states((0, 1, {1}), (1, 2, {2, 3}), (2, 4, {4}), (3, 7, {5, 6, 7}))
INVOICE_STATES = states(
    (0, 1, {1, 2, 4, 5, 6}),
    (1, 100003, {3, 7}),
    (2, 100001, {100001, 100002}),
    (3, 100003, {100003}),
)
OPPORTUNITY_STATES = states((0, 1, {1, 2}), (1, 3, {3}), (2, 4, {4, 5}))
PRODUCT_STATES = states((0, 1, {1}), (1, 2, {2}), (2, 0, {0}), (3, 3, {3}))
PRICELEVEL_STATES = states((0, 100001, {100001}), (1, 100002, {100002}))


def _address(prefix: str, *, name: bool = True) -> list[Field]:
    parts = ["line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country"]
    fields = [text(f"{prefix}_{p}", 250 if p.startswith("line") else 80) for p in parts]
    if name:
        fields.insert(0, text(f"{prefix}_name", 200))
    return fields


def _contactish(prefix: str = "address1") -> list[Field]:
    return [
        *_address(prefix, name=False),
        text("emailaddress1", 100),
        text("fax", 50),
        text("websiteurl", 200),
        text("telephone1", 50),
    ]


_SALES_HEADER_FIELDS: list[Field] = [
    text("name", 300, required=True),
    Field("description", F.MEMO),
    Field("requestdeliveryby", F.DATE),
    *_address("billto"),
    *_address("shipto"),
    option("freighttermscode"),
    option("shippingmethodcode"),
    option("paymenttermscode"),
    money("discountamount"),
    Field("discountpercentage", F.DECIMAL),
    money("freightamount"),
    money("totallineitemamount", read_only=True),
    money("totallineitemdiscountamount", read_only=True),
    money("totaldiscountamount", read_only=True),
    money("totalamountlessfreight", read_only=True),
    money("totaltax", read_only=True),
    money("totalamount", read_only=True),
    Field("ispricelocked", F.BOOL, default=False),
]


def _line_fields() -> list[Field]:
    return [
        text("productdescription", 500),
        Field("isproductoverridden", F.BOOL, default=False),
        Field("description", F.MEMO),
        Field("quantity", F.DECIMAL, default=1),
        money("priceperunit"),
        Field("ispriceoverridden", F.BOOL, default=False),
        money("baseamount", read_only=True),
        money("manualdiscountamount"),
        money("volumediscountamount", read_only=True),
        money("tax"),
        money("extendedamount", read_only=True),
        Field("sequencenumber", F.INT),
        Field("lineitemnumber", F.INT),
        Field("requestdeliveryby", F.DATE),
        Field("producttypecode", F.CHOICE, choices=frozenset({1, 2, 3, 4, 5})),
    ]


_LINE_LOOKUPS = [
    lookup("productid", "product"),
    lookup("uomid", "uom"),
    lookup("transactioncurrencyid", "transactioncurrency"),
]
_HEADER_LOOKUPS = [
    lookup("customerid", "account", "contact"),
    lookup("pricelevelid", "pricelevel"),
    lookup("transactioncurrencyid", "transactioncurrency"),
    lookup("opportunityid", "opportunity"),
]

TABLES: list[Table] = [
    table(
        "systemuser",
        "systemusers",
        [
            text("firstname", 64),
            text("lastname", 64),
            Field("fullname", F.STRING, 200, read_only=True),
            text("internalemailaddress", 100),
            text("mobilephone", 64),
            text("domainname", 1024),
            text("title", 128),
            Field("applicationid", F.GUID),
            Field("isdisabled", F.BOOL, default=False),
            Field("islicensed", F.BOOL, default=True),
            Field("isintegrationuser", F.BOOL, default=False),
            choice(
                "accessmode",
                {
                    0: "Read-Write",
                    1: "Administrative",
                    2: "Read",
                    3: "Support User",
                    4: "Non-interactive",
                    5: "Delegated Admin",
                },
                default=0,
            ),
        ],
        primary_name="fullname",
    ),
    table("role", "roles", [text("name", 100, required=True)]),
    table(
        "systemuserroles",
        "systemuserrolescollection",
        [
            Field("systemuserid", F.GUID, ref=("systemuser",), required=True),
            Field("roleid", F.GUID, ref=("role",), required=True),
        ],
        primary_name=None,
    ),
    table(
        "team",
        "teams",
        [
            text("name", 160, required=True),
            choice("teamtype", {0: "Owner", 1: "Access"}, default=0),
            Field("isdefault", F.BOOL, default=False),
            Field("description", F.MEMO),
        ],
        lookups=[lookup("administratorid", "systemuser")],
    ),
    table(
        "organization",
        "organizations",
        [text("name", 160, required=True), Field("issopintegrationenabled", F.BOOL, default=False)],
        lookups=[lookup("basecurrencyid", "transactioncurrency")],
    ),
    table(
        "transactioncurrency",
        "transactioncurrencies",
        [
            text("currencyname", 100, required=True),
            text("isocurrencycode", 5, required=True),
            text("currencysymbol", 10),
            Field("currencyprecision", F.INT, default=2),
            Field("exchangerate", F.DECIMAL, required=True),
        ],
        states=ACTIVE_INACTIVE,
        primary_name="currencyname",
    ),
    table(
        "uomschedule",
        "uomschedules",
        [text("name", 200, required=True), text("baseuomname", 100), Field("description", F.MEMO)],
        states=ACTIVE_INACTIVE,
        collections=[Nav("uomschedule_uoms", "uom", "_uomscheduleid_value", many=True)],
    ),
    table(
        "uom",
        "uoms",
        [
            text("name", 100, required=True),
            Field("quantity", F.DECIMAL, default=1),
            Field("isschedulebaseuom", F.BOOL, default=False, read_only=True),
        ],
        lookups=[lookup("uomscheduleid", "uomschedule", required=True), lookup("baseuom", "uom")],
    ),
    table(
        "pricelevel",
        "pricelevels",
        [
            text("name", 100, required=True),
            Field("description", F.MEMO),
            Field("begindate", F.DATETIME),
            Field("enddate", F.DATETIME),
        ],
        lookups=[lookup("transactioncurrencyid", "transactioncurrency", required=True)],
        states=PRICELEVEL_STATES,
        collections=[
            Nav(
                "price_level_product_price_levels",
                "productpricelevel",
                "_pricelevelid_value",
                many=True,
            )
        ],
    ),
    table(
        "product",
        "products",
        [
            text("name", 100, required=True),
            text("productnumber", 100, required=True),
            Field("description", F.MEMO),
            money("price"),
            money("standardcost"),
            money("currentcost"),
            Field("stockvolume", F.DECIMAL),
            Field("stockweight", F.DECIMAL),
            text("vendorid", 100),
            text("vendorname", 100),
            text("vendorpartnumber", 100),
            Field("quantityonhand", F.DECIMAL),
            Field("quantitydecimal", F.INT, default=0),
            choice("producttypecode", PRODUCT_TYPES, default=1),
        ],
        lookups=[
            lookup("defaultuomid", "uom"),
            lookup("defaultuomscheduleid", "uomschedule"),
            lookup("pricelevelid", "pricelevel"),
            lookup("transactioncurrencyid", "transactioncurrency"),
        ],
        states=PRODUCT_STATES,
        collections=[
            Nav("product_price_levels", "productpricelevel", "_productid_value", many=True)
        ],
        alternate_keys=(("productnumber",),),
    ),
    table(
        "productpricelevel",
        "productpricelevels",
        [
            money("amount"),
            text("productnumber", 100),
            choice(
                "pricingmethodcode",
                {
                    1: "Currency Amount",
                    2: "Percent of List",
                    3: "Markup Percent Over Current Cost",
                    4: "Margin Percent Over Current Cost",
                    5: "Markup Percent Over Standard Cost",
                    6: "Margin Percent Over Standard Cost",
                },
                default=1,
            ),
            choice(
                "quantitysellingcode",
                {1: "No Control", 2: "Whole", 3: "Whole and Fractional"},
                default=1,
            ),
        ],
        lookups=[
            lookup("pricelevelid", "pricelevel"),
            lookup("productid", "product"),
            lookup("uomid", "uom"),
            lookup("uomscheduleid", "uomschedule"),
            lookup("transactioncurrencyid", "transactioncurrency"),
        ],
        primary_name=None,
    ),
    table(
        "account",
        "accounts",
        [
            text("name", 160, required=True),
            text("accountnumber", 20),
            text("address1_primarycontactname", 100),
            *_contactish(),
            option("address1_freighttermscode"),
            option("address1_shippingmethodcode"),
            option("paymenttermscode"),
            money("creditlimit"),
            money("revenue"),
            choice("customertypecode", CUSTOMER_TYPES),
            Field("description", F.MEMO),
        ],
        lookups=[
            lookup("transactioncurrencyid", "transactioncurrency"),
            lookup("primarycontactid", "contact"),
            lookup("parentaccountid", "account"),
        ],
        states=ACTIVE_INACTIVE,
        user_owned=True,
        collections=[
            Nav(
                "contact_customer_accounts",
                "contact",
                "_parentcustomerid_value",
                many=True,
                discriminator=("_parentcustomerid_type", "account"),
            )
        ],
        alternate_keys=(("accountnumber",),),
    ),
    table(
        "contact",
        "contacts",
        [
            text("firstname", 50),
            text("middlename", 50),
            text("lastname", 50),
            Field("fullname", F.STRING, 160, read_only=True),
            text("jobtitle", 100),
            *_contactish(),
            text("mobilephone", 50),
            text("pager", 50),
            choice("customertypecode", {1: "Default Value"}, default=1),
        ],
        lookups=[
            lookup("parentcustomerid", "account", "contact"),
            lookup("transactioncurrencyid", "transactioncurrency"),
        ],
        states=ACTIVE_INACTIVE,
        user_owned=True,
        primary_name="fullname",
    ),
    table(
        "opportunity",
        "opportunities",
        [
            text("name", 300, required=True),
            Field("description", F.MEMO),
            money("estimatedvalue"),
            Field("estimatedclosedate", F.DATE),
        ],
        lookups=[
            lookup("parentcontactid", "contact"),
            lookup("parentaccountid", "account"),
            lookup("customerid", "account", "contact"),
            lookup("transactioncurrencyid", "transactioncurrency"),
            lookup("pricelevelid", "pricelevel"),
        ],
        states=OPPORTUNITY_STATES,
        user_owned=True,
    ),
    table(
        "quote",
        "quotes",
        [
            *_SALES_HEADER_FIELDS,
            text("quotenumber", 100),
            Field("revisionnumber", F.INT, default=0, read_only=True),
            Field("effectivefrom", F.DATE),
            Field("effectiveto", F.DATE),
            Field("closedon", F.DATE),
        ],
        lookups=[*_HEADER_LOOKUPS],
        states=QUOTE_STATES,
        user_owned=True,
        collections=[Nav("quote_details", "quotedetail", "_quoteid_value", many=True)],
    ),
    table(
        "quotedetail",
        "quotedetails",
        _line_fields(),
        lookups=[lookup("quoteid", "quote", required=True), *_LINE_LOOKUPS],
        primary_name=None,
    ),
    table(
        "salesorder",
        "salesorders",
        [
            *_SALES_HEADER_FIELDS,
            text("ordernumber", 100),
            Field("datefulfilled", F.DATE),
            Field("lastbackofficesubmit", F.DATE),
            Field("submitdate", F.DATE),
        ],
        lookups=[*_HEADER_LOOKUPS, lookup("quoteid", "quote")],
        states=SALESORDER_STATES,
        user_owned=True,
        collections=[Nav("order_details", "salesorderdetail", "_salesorderid_value", many=True)],
    ),
    table(
        "salesorderdetail",
        "salesorderdetails",
        [
            *_line_fields(),
            Field("quantityshipped", F.DECIMAL),
            Field("quantitybackordered", F.DECIMAL),
            Field("quantitycancelled", F.DECIMAL),
        ],
        lookups=[lookup("salesorderid", "salesorder", required=True), *_LINE_LOOKUPS],
        primary_name=None,
    ),
    table(
        "invoice",
        "invoices",
        [
            *_SALES_HEADER_FIELDS,
            text("invoicenumber", 100),
            Field("duedate", F.DATE),
            Field("datedelivered", F.DATE),
        ],
        lookups=[*_HEADER_LOOKUPS, lookup("salesorderid", "salesorder")],
        states=INVOICE_STATES,
        user_owned=True,
        collections=[Nav("invoice_details", "invoicedetail", "_invoiceid_value", many=True)],
    ),
    table(
        "invoicedetail",
        "invoicedetails",
        [*_line_fields(), Field("quantityshipped", F.DECIMAL)],
        lookups=[
            lookup("invoiceid", "invoice", required=True),
            lookup("salesorderdetailid", "salesorderdetail"),
            *_LINE_LOOKUPS,
        ],
        primary_name=None,
    ),
    table(
        "post",
        "posts",
        [
            Field("text", F.MEMO, required=True),
            choice("source", {1: "Auto Post", 2: "Manual Post"}, default=2),
            choice(
                "type",
                {
                    1: "Check-in",
                    2: "Idea",
                    3: "News",
                    4: "Private Message",
                    5: "Question",
                    6: "Re-post",
                    7: "Status",
                },
                default=7,
            ),
        ],
        lookups=[
            lookup(
                "regardingobjectid",
                "account",
                "contact",
                "opportunity",
                "quote",
                "salesorder",
                "invoice",
            )
        ],
        primary_name=None,
    ),
    table(
        "annotation",
        "annotations",
        [
            text("subject", 500),
            Field("notetext", F.MEMO),
            Field("isdocument", F.BOOL, default=False),
            text("filename", 255),
            Field("filesize", F.INT, default=0),
            Field("documentbody", F.MEMO),
            text("mimetype", 256),
            text("objecttypecode", 100),
        ],
        lookups=[
            lookup(
                "objectid",
                "account",
                "contact",
                "opportunity",
                "quote",
                "salesorder",
                "invoice",
                "product",
            )
        ],
        user_owned=True,
        primary_name="subject",
    ),
    table(
        "nav_accountstatistics",
        "nav_accountstatisticses",
        [
            text("nav_name", 100),
            text("nav_customerno", 20),
            money("nav_balancelcy"),
            money("nav_outstandingorderslcy"),
            money("nav_shippednotinvoicedlcy"),
            money("nav_outstandinginvoiceslcy"),
            money("nav_totallcy"),
            money("nav_creditlimitlcy"),
            money("nav_overdueamountslcy"),
            Field("nav_overdueamountsasof", F.DATE),
            money("nav_totalsaleslcy"),
            # In the solution's table too; couplet's ERP has no service orders or prepayments,
            # so nothing fills them.
            money("nav_outstandingserviceorderslcy"),
            money("nav_servshippednotinvoicedlcy"),
            money("nav_outstandingservinvoiceslcy"),
            money("nav_invoicedprepaymentamountlcy"),
        ],
        lookups=[
            lookup("nav_accountid", "account"),
            lookup("transactioncurrencyid", "transactioncurrency"),
        ],
        states=ACTIVE_INACTIVE,
        primary_name="nav_name",
    ),
]

# The integration solution's "BC Connection" (legacy "NAV Connection"): where the ERP is and
# the read-only credential the CRM uses to ask it for an item's availability.
TABLES.append(
    table(
        "nav_connection",
        "nav_connections",
        [
            text("nav_name", 100),
            text("nav_dynamicsnavurl", 250),
            text("nav_dynamicsnavodataurl", 250),
            text("nav_tokenurl", 250),
            text("nav_dynamicsnavodatausername", 250),
            text("nav_dynamicsnavodataaccesskey", 250),
        ],
        states=ACTIVE_INACTIVE,
        primary_name="nav_name",
    )
)

BY_NAME: dict[str, Table] = {t.entity.name: t for t in TABLES}
