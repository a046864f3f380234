"""Sample data for the reference ERP: a deterministic, realistic small sales company.

Everything goes in through the ERP's own rules, the way a client's writes would: items get
their unit groups, stock comes from item adjustments posted as item ledger entries, lines
take their prices from the price list, and a few orders are released, shipped and invoiced
and one invoice is paid through the payment journal, so ledgers, inventory and customer
statistics hold real numbers. Customers, the bulk of a large seed, take a batched path
with the same rules (`seed_bulk`). The content depends only on the seed; ids and
timestamps are the server's as usual.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ...settings import ErpSettings
from .._common.records import Tx
from .._common.sample_words import (
    COLORS,
    COMPANY_WORDS,
    FIRST_NAMES,
    INDUSTRIES,
    ITEMS,
    JOB_TITLES,
    LAST_NAMES,
    MODELS,
    QUOTE_TOPICS,
    REGIONS,
    SALES_TITLES,
    SERVICE_LEVELS,
    SERVICES,
    STREETS,
    Region,
    digits,
    money,
    unique_name,
)
from .._common.service import ODataService
from .app import create_app
from .company_setup import FREIGHT_ACCOUNT
from .journals import post_journal
from .posting import post_order, release
from .seed_bulk import NewCustomer, insert_customers

__all__ = ["AlreadySeeded", "open_erp_tx", "seed_erp"]

Row = dict[str, Any]

# Business Central keeps country/region codes (10 characters), not names.
COUNTRY_CODES = {
    "United States": "US",
    "United Kingdom": "GB",
    "Germany": "DE",
    "Netherlands": "NL",
    "France": "FR",
}
MAX_ITEMS = len(MODELS) * len(ITEMS) * len(COLORS)
MAX_RESOURCES = len(SERVICES) * len(SERVICE_LEVELS)
# Customers are written this many at a time; see `seed_bulk`.
CHUNK = 2000


class AlreadySeeded(ValueError):
    """Seeding a company that already holds customers would mix two data sets."""


@contextmanager
def open_erp_tx(
    settings: ErpSettings | str, clock: Callable[[], dt.datetime] | None = None
) -> Iterator[Tx]:
    """One transaction as SYSTEM on an ERP database, created and bootstrapped if new.

    Composes the service exactly as `create_app` does and only borrows its pieces, so
    seeding never drifts from what the running service would do. Commits when the block
    ends normally (after the rules' end-of-transaction work), rolls back on an exception.
    """
    if isinstance(settings, str):
        settings = ErpSettings(database_url=settings)
    app = create_app(settings, clock)
    service: ODataService = app.state.service
    try:
        with service.system_tx() as tx:
            yield tx
    finally:
        app.state.engine.dispose()


@dataclass
class _Company:
    """What the seeded rows refer to."""

    id: str
    lcy: str
    codes: dict[str, dict[str, str]]  # entity -> code -> id (payment terms, currencies, …)
    salespeople: list[str]
    items: list[Row]
    resources: list[Row]


def seed_erp(
    tx: Tx,
    *,
    customers: int,
    contacts_per_customer: int = 1,
    salespeople: int = 5,
    items: int = 40,
    resources: int = 6,
    quotes: int = 10,
    orders: int = 20,
    invoices: int = 5,
    seed: int = 42,
) -> dict[str, int]:
    """Fills the company of an empty ERP and returns how many rows each entity set got.

    `orders` stay open (some released, one shipped but not invoiced); `invoices` more
    orders are shipped and invoiced, and the first invoice is paid in full, the second in
    part, through the payment journal.
    """
    if (
        min(customers, contacts_per_customer, salespeople, items, resources) < 0
        or min(quotes, orders, invoices) < 0
    ):
        raise ValueError("Counts cannot be negative.")
    if items > MAX_ITEMS or resources > MAX_RESOURCES:
        raise ValueError(
            f"At most {MAX_ITEMS} items and {MAX_RESOURCES} resources can be made distinct."
        )
    if (quotes or orders or invoices) and not (customers and (items or resources)):
        raise ValueError("Documents need at least one customer and one item or resource.")
    company = tx.first("company")
    assert company is not None, "bootstrap creates the company"
    existing = tx.conn.execute(
        sa.select(sa.func.count()).select_from(tx.model.table("customer"))
    ).scalar_one()
    if existing:
        raise AlreadySeeded(f"The ERP already holds {existing} customers; seed an empty database.")
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    co = _company(tx, str(company["id"]))
    _salespeople(tx, rng, co, salespeople, counts)
    _catalog(tx, rng, co, items, resources, counts)
    customer_ids = _customers(tx, rng, co, customers, contacts_per_customer, counts)
    _quotes(tx, rng, co, customer_ids, quotes, counts)
    _orders(tx, rng, co, customer_ids, orders, invoices, counts)
    return counts


def _add(counts: dict[str, int], entity_set: str, n: int = 1) -> None:
    counts[entity_set] = counts.get(entity_set, 0) + n


def _company(tx: Tx, company_id: str) -> _Company:
    info = tx.first("companyInformation", companyId=company_id)
    codes = {
        entity: {str(r["code"]): str(r["id"]) for r in tx.find(entity, companyId=company_id)}
        for entity in ("paymentTerm", "shipmentMethod", "shippingAgent", "currency")
    }
    return _Company(company_id, str((info or {}).get("currencyCode") or ""), codes, [], [], [])


def _salespeople(tx: Tx, rng: random.Random, co: _Company, n: int, counts: dict[str, int]) -> None:
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], n)
    for first, last in names:
        code = f"{first[0]}{last[0]}"
        while code in co.salespeople:
            code = f"{first[0]}{last[0]}{len(co.salespeople)}"
        tx.insert(
            "salesperson",
            {
                "companyId": co.id,
                "code": code,
                "displayName": f"{first} {last}",
                "email": f"{first}.{last}@cronus.example.com".lower(),
                "phoneNo": digits(rng, "+1 425 555 01##"),
                "jobTitle": rng.choice(SALES_TITLES),
                "commisionPercent": rng.choice((0, 2, 3, 5)),
            },
        )
        co.salespeople.append(code)
    _add(counts, "salespeoplePurchasers", n)


def _catalog(
    tx: Tx, rng: random.Random, co: _Company, n_items: int, n_resources: int, counts: dict[str, int]
) -> None:
    """Items with stock, resources billed per hour, and a volume price list."""
    kinds = [(model, item, color) for model in MODELS for item in ITEMS for color in COLORS]
    rng.shuffle(kinds)
    for i, (model, (name, low, high, kg), color) in enumerate(kinds[:n_items]):
        price = Decimal(rng.randrange(low, high + 1)) - Decimal("0.01")
        cost = (price * Decimal(rng.choice(("0.55", "0.6", "0.65")))).quantize(Decimal("0.01"))
        item = tx.insert(
            "item",
            {
                "companyId": co.id,
                "number": f"{1000 + i}",
                "displayName": f"{model} {name}, {color}",
                "unitPrice": price,
                "unitCost": cost,
                "grossWeight": kg,
                "baseUnitOfMeasureCode": "PCS",
                "vendorNumber": f"V{rng.randrange(1, 40):04d}",
            },
        )
        if i % 4 == 0:  # some come in boxes too
            tx.insert(
                "itemUnitOfMeasure",
                {
                    "companyId": co.id,
                    "itemId": item["id"],
                    "code": "BOX",
                    "quantityPerUnitOfMeasure": 6,
                },
            )
            _add(counts, "itemUnitsOfMeasure")
        # Stock arrives in a receipt or two, with the odd write-off.
        for quantity in (rng.randrange(40, 400), rng.randrange(10, 100), -rng.randrange(1, 5)):
            tx.insert(
                "itemAdjustment",
                {
                    "companyId": co.id,
                    "itemId": item["id"],
                    "quantity": quantity,
                    "unitCost": cost if quantity > 0 else None,
                },
            )
            _add(counts, "itemAdjustments")
        co.items.append(item)
    _add(counts, "items", len(co.items))
    services = [
        (f"{name} - {level}", Decimal(rate) * (1 + Decimal(i) / 2))
        for i, level in enumerate(SERVICE_LEVELS)
        for name, rate in SERVICES
    ]
    for i, (name, rate) in enumerate(services[:n_resources]):
        price = rate.quantize(Decimal("0.01"))
        co.resources.append(
            tx.insert(
                "resource",
                {
                    "companyId": co.id,
                    "number": f"R{i + 1:04d}",
                    "displayName": name,
                    "unitPrice": price,
                    "unitCost": (price * Decimal("0.6")).quantize(Decimal("0.01")),
                    "baseUnitOfMeasureCode": "HOUR",
                    "capacity": 40,
                },
            )
        )
    _add(counts, "resources", len(co.resources))
    if not co.items:
        return
    price_list = tx.insert(
        "priceList",
        {
            "companyId": co.id,
            "code": "VOLUME",
            "displayName": "Volume prices: 10 or more of an item",
            "status": "Active",
            "startingDate": dt.date(tx.now.year, 1, 1),
        },
    )
    _add(counts, "priceLists")
    for item in co.items[::3]:
        tx.insert(
            "priceListLine",
            {
                "companyId": co.id,
                "priceListId": price_list["id"],
                "assetNumber": item["number"],
                "minimumQuantity": 10,
                "unitPrice": (Decimal(item["unitPrice"]) * Decimal("0.9")).quantize(
                    Decimal("0.01")
                ),
            },
        )
        _add(counts, "priceListLines")


def _customers(
    tx: Tx,
    rng: random.Random,
    co: _Company,
    n: int,
    contacts_per_customer: int,
    counts: dict[str, int],
) -> list[str]:
    ids: list[str] = []
    taken: set[str] = set()
    for start in range(0, n, CHUNK):
        batch = [
            _customer(rng, co, rng.choices(REGIONS, [r.weight for r in REGIONS])[0], taken)
            for _ in range(start, min(n, start + CHUNK))
        ]
        for customer in batch:
            customer.people = [_person(rng, customer.values) for _ in range(contacts_per_customer)]
        ids += [str(row["id"]) for row in insert_customers(tx, co.id, batch)]
    _add(counts, "customers", n)
    _add(counts, "contacts", n * (1 + contacts_per_customer))
    _add(counts, "customerStatistics", n)
    return ids


def _customer(rng: random.Random, co: _Company, region: Region, taken: set[str]) -> NewCustomer:
    city, state, postal = rng.choice(region.cities)
    words = f"{rng.choice(COMPANY_WORDS)} {rng.choice(INDUSTRIES)}"
    domain = "".join(c for c in words.lower() if c.isalnum()) + ".example.com"
    currency = region.currency if region.currency in co.codes["currency"] else ""
    values: Row = {
        "id": str(uuid.uuid4()),
        "displayName": unique_name(f"{words} {rng.choice(region.suffixes)}", city, taken),
        "type": "Company",
        "addressLine1": region.street.format(n=rng.randrange(1, 400), s=rng.choice(STREETS)),
        "city": city,
        "state": state,
        "postalCode": digits(rng, postal),
        "country": COUNTRY_CODES[region.country],
        "phoneNumber": digits(rng, region.phone),
        "email": f"info@{domain}",
        "website": f"www.{domain}",
        "salespersonCode": rng.choice(co.salespeople) if co.salespeople else "",
        "creditLimit": Decimal(rng.choice((5, 10, 25, 50, 100)) * 1000),
        "blocked": " ",
    }
    # Id/code pairs are given both ways: the bulk path does not look them up (`seed_bulk`).
    for entity, field, pick in (
        ("paymentTerm", "paymentTerms", rng.choice(sorted(co.codes["paymentTerm"]))),
        ("shipmentMethod", "shipmentMethod", rng.choice(sorted(co.codes["shipmentMethod"]))),
        ("shippingAgent", "shippingAgent", rng.choice(sorted(co.codes["shippingAgent"]))),
        ("currency", "currency", currency),
    ):
        values[f"{field}Code"] = pick
        values[f"{field}Id"] = co.codes[entity].get(pick)
    return NewCustomer(values)


def _person(rng: random.Random, customer: Row) -> Row:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = str(customer["email"]).split("@", 1)[1]
    return {
        "id": str(uuid.uuid4()),
        "firstName": first,
        "surname": last,
        "jobTitle": rng.choice(JOB_TITLES)[:30],
        "email": f"{first}.{last}@{domain}".lower(),
        "phoneNumber": customer["phoneNumber"],
        **{k: customer[k] for k in ("addressLine1", "city", "state", "postalCode", "country")},
    }


def _lines(rng: random.Random, co: _Company, n: int) -> list[Row]:
    """Mostly items (now and then ten or more, at the volume price), the odd service hour
    and comment, and freight on some documents."""
    lines: list[Row] = []
    for _ in range(n):
        if co.resources and (not co.items or rng.random() < 0.2):
            resource = rng.choice(co.resources)
            lines.append(
                {
                    "lineType": "Resource",
                    "lineObjectNumber": resource["number"],
                    "quantity": rng.randrange(2, 17),
                }
            )
            continue
        item = rng.choice(co.items)
        quantity = rng.randrange(10, 25) if rng.random() < 0.25 else rng.randrange(1, 6)
        lines.append({"itemId": item["id"], "quantity": quantity})
        if rng.random() < 0.1:
            lines.append({"lineType": "Comment", "description": "Deliver to the loading dock."})
    if rng.random() < 0.3:
        lines.append(
            {
                "lineType": "Account",
                "lineObjectNumber": FREIGHT_ACCOUNT,
                "quantity": 1,
                "unitPrice": money(rng, 25, 150),
                "description": "Freight",
            }
        )
    return lines


def _document(tx: Tx, header: str, values: Row, lines: list[Row]) -> Row:
    row = tx.insert(header, values)
    for line in lines:
        tx.insert(f"{header}Line", {"companyId": row["companyId"], "documentId": row["id"], **line})
    return tx.require(header, str(row["id"]))


def _quotes(
    tx: Tx,
    rng: random.Random,
    co: _Company,
    customers: list[str],
    n: int,
    counts: dict[str, int],
) -> None:
    for i in range(n):
        quote = _document(
            tx,
            "salesQuote",
            {
                "companyId": co.id,
                "customerId": rng.choice(customers),
                "externalDocumentNumber": f"RFQ-{rng.randrange(10000, 99999)}",
                "yourReference": rng.choice(QUOTE_TOPICS)[:35],
                "validUntilDate": tx.now.date() + dt.timedelta(days=rng.choice((14, 30, 60))),
            },
            _lines(rng, co, rng.randrange(1, 5)),
        )
        if i % 3 == 2:  # sent to the customer: released
            release(tx, "salesQuote", quote)
    _add(counts, "salesQuotes", n)


def _orders(
    tx: Tx,
    rng: random.Random,
    co: _Company,
    customers: list[str],
    n_open: int,
    n_invoiced: int,
    counts: dict[str, int],
) -> None:
    invoices: list[str] = []
    for i in range(n_open + n_invoiced):
        order = _document(
            tx,
            "salesOrder",
            {
                "companyId": co.id,
                "customerId": rng.choice(customers),
                "externalDocumentNumber": f"PO-{rng.randrange(10000, 99999)}",
                "requestedDeliveryDate": tx.now.date() + dt.timedelta(days=rng.randrange(3, 30)),
            },
            _lines(rng, co, rng.randrange(1, 5)),
        )
        if i < n_invoiced:
            release(tx, "salesOrder", order)
            _, invoice = post_order(
                tx, tx.require("salesOrder", str(order["id"])), ship=True, invoice=True
            )
            assert invoice is not None
            invoices.append(invoice)
        elif (i - n_invoiced) % 4 == 0:  # every fourth open order is released
            release(tx, "salesOrder", order)
            if i == n_invoiced:  # and the first of them shipped, not yet invoiced
                post_order(tx, tx.require("salesOrder", str(order["id"])), ship=True, invoice=False)
    _add(counts, "salesOrders", n_open)
    _add(counts, "salesInvoices", n_invoiced)
    _payments(tx, co, invoices, counts)


def _payments(tx: Tx, co: _Company, invoices: list[str], counts: dict[str, int]) -> None:
    """The first invoice is paid in full, the second half."""
    journal = tx.first("customerPaymentJournal", companyId=co.id, code="PAYMENT")
    assert journal is not None, "a new company has its payment journal"
    for invoice_id, share in zip(invoices, (Decimal(1), Decimal("0.5")), strict=False):
        invoice = tx.require("salesInvoice", invoice_id)
        amount = (Decimal(invoice["totalAmountIncludingTax"]) * share).quantize(Decimal("0.01"))
        tx.insert(
            "customerPayment",
            {
                "companyId": co.id,
                "journalId": journal["id"],
                "appliesToInvoiceId": invoice_id,
                "amount": -amount,
                "description": f"Payment of invoice {invoice['number']}",
            },
        )
        _add(counts, "customerPayments")
    if invoices:
        post_journal(tx, tx.require("customerPaymentJournal", str(journal["id"])))
