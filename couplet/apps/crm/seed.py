"""Sample data for the reference CRM: a deterministic, realistic small sales database.

Rows go in through `Tx` with the CRM's own rules, which fill in what they would for a
client (owners, document numbers, states, base units, line prices from the price list and
document totals); accounts and contacts, the bulk of a large seed, take a batched path
with the same rules (`_common.bulk`). The content depends only on the seed; record ids,
document numbers and timestamps are the server's as usual.
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

from ...settings import CrmSettings
from .._common.bulk import insert_many, prepare
from .._common.records import Tx
from .._common.sample_words import (
    COLORS,
    COMPANY_WORDS,
    CURRENCY_NAMES,
    FIRST_NAMES,
    INDUSTRIES,
    ITEMS,
    JOB_TITLES,
    LAST_NAMES,
    MODELS,
    PER_USD,
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
from .entities import BY_NAME
from .security import role_id

__all__ = ["AlreadySeeded", "open_crm_tx", "seed_crm"]


class AlreadySeeded(ValueError):
    """Seeding a CRM that already holds accounts would mix two data sets; refuse instead."""


@contextmanager
def open_crm_tx(
    settings: CrmSettings | str, clock: Callable[[], dt.datetime] | None = None
) -> Iterator[Tx]:
    """One transaction as SYSTEM on a CRM database, created and bootstrapped if new.

    Commits when the block ends normally and rolls back on an exception. It composes the
    service exactly as `create_app` does (schema, option sets, rules, bootstrap with the
    settings' base currency and admin client) and only borrows its pieces, so seeding can
    never drift from what the running service would do.
    """
    if isinstance(settings, str):
        settings = CrmSettings(database_url=settings)
    app = create_app(settings, clock)
    service: ODataService = app.state.service
    try:
        with service.system_tx() as tx:
            yield tx
    finally:
        app.state.engine.dispose()


# -- the seeding ------------------------------------------------------------------------


MAX_PRODUCTS = len(MODELS) * len(ITEMS) * len(COLORS) + len(SERVICES) * len(SERVICE_LEVELS)


@dataclass
class _Catalog:
    """What later rows refer to: currencies by ISO code, units, the price list, products."""

    currency: dict[str, str]
    base_currency: str
    units: dict[str, dict[str, Any]]
    price_list: str
    products: list[dict[str, Any]]


def seed_crm(
    tx: Tx,
    *,
    accounts: int,
    contacts_per_account: int = 2,
    products: int = 40,
    quotes: int = 25,
    orders: int = 15,
    salespeople: int = 5,
    seed: int = 42,
) -> dict[str, int]:
    """Fills an empty CRM with sample data and returns how many rows each entity set got.

    Accounts are mostly customers (some prospects) spread over five countries, each with
    contacts (the first is the primary contact) and an owning salesperson; products are
    items and services priced on one price list in the base currency; quotes stay in
    Draft and orders Active, all with lines.
    """
    if min(accounts, contacts_per_account, products, quotes, orders, salespeople) < 0:
        raise ValueError("Counts cannot be negative.")
    if products > MAX_PRODUCTS:
        raise ValueError(f"At most {MAX_PRODUCTS} distinct sample products are available.")
    existing = tx.conn.execute(
        sa.select(sa.func.count()).select_from(tx.model.table("account"))
    ).scalar_one()
    if existing:
        raise AlreadySeeded(f"The CRM already holds {existing} accounts; seed an empty database.")
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    catalog = _catalog(tx, rng, products, counts)
    owners = _salespeople(tx, rng, salespeople, counts)
    customers = _accounts(tx, rng, catalog, owners, accounts, contacts_per_account, counts)
    _documents(tx, rng, catalog, customers, quotes, "quote", counts)
    _documents(tx, rng, catalog, customers, orders, "salesorder", counts)
    return counts


def _add(counts: dict[str, int], entity_set: str, n: int = 1) -> None:
    counts[entity_set] = counts.get(entity_set, 0) + n


def _catalog(tx: Tx, rng: random.Random, products: int, counts: dict[str, int]) -> _Catalog:
    org = tx.first("organization")
    assert org is not None, "bootstrap creates the organization"
    base = tx.require("transactioncurrency", org["_basecurrencyid_value"])
    base_iso = str(base["isocurrencycode"])
    currency = {base_iso: str(base["transactioncurrencyid"])}
    for iso, per_usd in PER_USD.items():
        if iso in currency:
            continue
        existing = tx.first("transactioncurrency", isocurrencycode=iso)
        if existing is None:
            name, symbol = CURRENCY_NAMES[iso]
            rate = per_usd / PER_USD.get(base_iso, Decimal(1))
            existing = tx.insert(
                "transactioncurrency",
                {
                    "currencyname": name,
                    "currencysymbol": symbol,
                    "isocurrencycode": iso,
                    "exchangerate": rate.quantize(Decimal("0.0001")),
                    "currencyprecision": 2,
                },
            )
            _add(counts, "transactioncurrencies")
        currency[iso] = str(existing["transactioncurrencyid"])
    units = _units(tx, counts)
    price_list = tx.insert(
        "pricelevel",
        {
            "name": "Standard Price List",
            "description": "List prices for all customers.",
            "_transactioncurrencyid_value": currency[base_iso],
            "begindate": dt.datetime(tx.now.year, 1, 1, tzinfo=dt.UTC),
        },
    )["pricelevelid"]
    _add(counts, "pricelevels")
    catalog = _Catalog(currency, base_iso, units, str(price_list), [])
    for values in _product_values(rng, products):
        unit = units["Hour" if values["producttypecode"] == 3 else "Each"]
        row = tx.insert(
            "product",
            {
                **values,
                "_defaultuomid_value": unit["uomid"],
                "_defaultuomscheduleid_value": unit["_uomscheduleid_value"],
                "_pricelevelid_value": catalog.price_list,
                "_transactioncurrencyid_value": currency[base_iso],
            },
        )
        tx.insert(
            "productpricelevel",
            {
                "_pricelevelid_value": catalog.price_list,
                "_productid_value": row["productid"],
                "_uomid_value": unit["uomid"],
                "_uomscheduleid_value": unit["_uomscheduleid_value"],
                "_transactioncurrencyid_value": currency[base_iso],
                "amount": row["price"],
                "productnumber": row["productnumber"],
                "pricingmethodcode": 1,
                "quantitysellingcode": 1,
            },
        )
        catalog.products.append(row)
    _add(counts, "products", len(catalog.products))
    _add(counts, "productpricelevels", len(catalog.products))
    return catalog


def _units(tx: Tx, counts: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Two unit groups: pieces ("Each", boxes, pallets) and time ("Hour", "Day")."""
    units: dict[str, dict[str, Any]] = {}
    for group, base, extra in (
        ("Each", "Each", (("Box of 6", 6), ("Box of 12", 12), ("Pallet", 240))),
        ("Time", "Hour", (("Day", 8),)),
    ):
        schedule = tx.insert("uomschedule", {"name": group, "baseuomname": base})
        _add(counts, "uomschedules")
        base_unit = tx.first("uom", _uomscheduleid_value=schedule["uomscheduleid"])
        assert base_unit is not None, "the rules create a unit group's base unit"
        units[base] = base_unit
        for name, quantity in extra:
            units[name] = tx.insert(
                "uom",
                {
                    "name": name,
                    "quantity": quantity,
                    "_baseuom_value": base_unit["uomid"],
                    "_uomscheduleid_value": schedule["uomscheduleid"],
                },
            )
        _add(counts, "uoms", 1 + len(extra))
    return units


def _product_values(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Items (Sales Inventory) and about one in five services, with unique names."""
    services = [
        (f"{name} - {level}", rate * (1 + i / 2))
        for i, level in enumerate(SERVICE_LEVELS)
        for name, rate in SERVICES
    ]
    items = [(model, item, color) for model in MODELS for item in ITEMS for color in COLORS]
    rng.shuffle(items)
    n_services = min(len(services), n // 5 if n >= 5 else 0)
    out: list[dict[str, Any]] = []
    for i, (name, rate) in enumerate(services[:n_services]):
        price = Decimal(str(round(rate, 2)))
        out.append(
            {
                "name": f"{name}",
                "productnumber": f"SRV-{i + 1:03d}",
                "producttypecode": 3,
                "quantitydecimal": 2,
                "price": price,
                "standardcost": (price * Decimal("0.6")).quantize(Decimal("0.01")),
                "description": f"{name}, billed per hour.",
            }
        )
    for i, (model, (item, low, high, kg), color) in enumerate(items[: n - n_services]):
        price = Decimal(rng.randrange(low, high + 1)) - Decimal("0.01")
        cost = (price * Decimal(rng.choice(("0.55", "0.6", "0.65")))).quantize(Decimal("0.01"))
        out.append(
            {
                "name": f"{model} {item}, {color}",
                "productnumber": f"{1000 + i}",
                "producttypecode": 1,
                "quantitydecimal": 0,
                "price": price,
                "standardcost": cost,
                "currentcost": cost,
                "stockweight": kg,
                "quantityonhand": rng.randrange(0, 500),
                "vendorname": f"{rng.choice(COMPANY_WORDS)} Manufacturing",
                "description": f"{item} from the {model.title()} range in {color.lower()}.",
            }
        )
    return out


def _salespeople(tx: Tx, rng: random.Random, n: int, counts: dict[str, int]) -> list[str]:
    ids: list[str] = []
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], max(n, 1))
    for first, last in names:
        email = f"{first}.{last}@couplet-crm.example.com".lower()
        user = tx.insert(
            "systemuser",
            {
                "firstname": first,
                "lastname": last,
                "internalemailaddress": email,
                "domainname": email,
                "title": rng.choice(SALES_TITLES),
                "mobilephone": digits(rng, "+1 ### 555 01##"),
            },
        )
        tx.insert(
            "systemuserroles",
            {"systemuserid": user["systemuserid"], "roleid": role_id("Salesperson")},
        )
        ids.append(str(user["systemuserid"]))
    _add(counts, "systemusers", len(ids))
    return ids


@dataclass(frozen=True)
class _Customer:
    row: dict[str, Any]
    region: Region


# Accounts (and their contacts) are written this many at a time; see `insert_many`.
CHUNK = 1000


def _accounts(
    tx: Tx,
    rng: random.Random,
    catalog: _Catalog,
    owners: list[str],
    n: int,
    contacts_per_account: int,
    counts: dict[str, int],
) -> list[_Customer]:
    out: list[_Customer] = []
    taken: set[str] = set()
    for start in range(0, n, CHUNK):
        accounts: list[dict[str, Any]] = []
        contacts: list[dict[str, Any]] = []
        regions: list[Region] = []
        for i in range(start, min(n, start + CHUNK)):
            region = rng.choices(REGIONS, [r.weight for r in REGIONS])[0]
            account, domain = _account_values(rng, region, i, catalog, owners, taken)
            people = [
                prepare(tx, "contact", _contact_values(rng, account, domain, region))
                for _ in range(contacts_per_account)
            ]
            if people:
                # Named on the insert itself (the rules derived the contact's fullname) to
                # save a second write per account.
                account["_primarycontactid_value"] = people[0]["contactid"]
                account["address1_primarycontactname"] = people[0]["fullname"]
            prepare(tx, "account", account)
            accounts.append(account)
            contacts += people
            regions.append(region)
        rows = insert_many(tx, "account", accounts)
        insert_many(tx, "contact", contacts)
        out += [_Customer(row, region) for row, region in zip(rows, regions, strict=True)]
    _add(counts, "accounts", n)
    _add(counts, "contacts", n * contacts_per_account)
    return out


def _account_values(
    rng: random.Random,
    region: Region,
    i: int,
    catalog: _Catalog,
    owners: list[str],
    taken: set[str],
) -> tuple[dict[str, Any], str]:
    city, state, postal = rng.choice(region.cities)
    words = f"{rng.choice(COMPANY_WORDS)} {rng.choice(INDUSTRIES)}"
    domain = "".join(c for c in words.lower() if c.isalnum()) + ".example.com"
    customer = rng.random() < 0.85
    values: dict[str, Any] = {
        "accountid": str(uuid.uuid4()),
        "name": unique_name(f"{words} {rng.choice(region.suffixes)}", city, taken),
        "accountnumber": f"C{i + 1:05d}",
        "address1_line1": region.street.format(n=rng.randrange(1, 400), s=rng.choice(STREETS)),
        "address1_city": city,
        "address1_stateorprovince": state or None,
        "address1_postalcode": digits(rng, postal),
        "address1_country": region.country,
        "telephone1": digits(rng, region.phone),
        "emailaddress1": f"info@{domain}",
        "websiteurl": f"https://www.{domain}",
        "customertypecode": 3 if customer else 8,
        "paymenttermscode": rng.choices((1, 2, 3, 4), (50, 15, 20, 15))[0],
        "address1_shippingmethodcode": rng.choice((1, 2, 3, 4, 5, 6, 7)),
        "address1_freighttermscode": rng.choice((1, 2)),
        "creditlimit": Decimal(rng.choice((5, 10, 25, 50, 100)) * 1000) if customer else None,
        "revenue": Decimal(rng.randrange(2, 900) * 100_000),
        "_transactioncurrencyid_value": catalog.currency[region.currency],
        "_ownerid_value": rng.choice(owners),
        "_ownerid_type": "systemuser",
    }
    return values, domain


def _contact_values(
    rng: random.Random, account: dict[str, Any], domain: str, region: Region
) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    address = {
        f"address1_{part}": account[f"address1_{part}"]
        for part in ("line1", "city", "stateorprovince", "postalcode", "country")
    }
    return {
        "contactid": str(uuid.uuid4()),
        "firstname": first,
        "lastname": last,
        "jobtitle": rng.choice(JOB_TITLES),
        "emailaddress1": f"{first}.{last}@{domain}".lower(),
        **address,
        "telephone1": digits(rng, region.phone),
        "mobilephone": digits(rng, region.phone),
        "_parentcustomerid_value": account["accountid"],
        "_parentcustomerid_type": "account",
        "_transactioncurrencyid_value": account["_transactioncurrencyid_value"],
        "_ownerid_value": account["_ownerid_value"],
        "_ownerid_type": "systemuser",
    }


def _documents(
    tx: Tx,
    rng: random.Random,
    catalog: _Catalog,
    customers: list[_Customer],
    n: int,
    entity: str,
    counts: dict[str, int],
) -> None:
    """Quotes (Draft) or sales orders (Active) for base-currency accounts, with 1-4 lines.

    They use the base-currency price list, so they go to accounts in that currency (as
    Dataverse wants a document's price list in the document's currency); orders go to
    customers only, quotes to prospects as well.
    """
    if n <= 0 or not customers or not catalog.products:
        return
    base_id = catalog.currency[catalog.base_currency]
    pool = [
        c
        for c in customers
        if c.row["_transactioncurrencyid_value"] == base_id
        and (entity == "quote" or c.row["customertypecode"] == 3)
    ] or customers
    line_entity, key = (
        ("quotedetail", "_quoteid_value")
        if entity == "quote"
        else ("salesorderdetail", "_salesorderid_value")
    )
    today = tx.now.date()
    lines = 0
    for _ in range(n):
        account = rng.choice(pool).row
        header = _header(rng, account, catalog, base_id, today, entity)
        doc = tx.insert(entity, header)
        for product in rng.sample(catalog.products, min(len(catalog.products), rng.randint(1, 4))):
            service = product["producttypecode"] == 3
            quantity = rng.randrange(4, 41, 4) if service else rng.choice((1, 2, 5, 10, 12, 20))
            line: dict[str, Any] = {
                key: doc[f"{entity}id"],
                "_productid_value": product["productid"],
                "_uomid_value": product["_defaultuomid_value"],
                "quantity": quantity,
            }
            if rng.random() < 0.2:
                line["manualdiscountamount"] = (product["price"] * quantity / 20).quantize(
                    Decimal("0.01")
                )
            tx.insert(line_entity, line)
            lines += 1
    _add(counts, BY_NAME[entity].entity.entity_set, n)
    _add(counts, BY_NAME[line_entity].entity.entity_set, lines)


def _header(
    rng: random.Random,
    account: dict[str, Any],
    catalog: _Catalog,
    currency_id: str,
    today: dt.date,
    entity: str,
) -> dict[str, Any]:
    start = today - dt.timedelta(days=rng.randrange(0, 30))
    topic = rng.choice(QUOTE_TOPICS)
    address = {
        part: account.get(f"address1_{part}")
        for part in ("line1", "city", "stateorprovince", "postalcode", "country")
    }
    header: dict[str, Any] = {
        "name": f"{topic} - {account['name']}",
        "_customerid_value": account["accountid"],
        "_customerid_type": "account",
        "_pricelevelid_value": catalog.price_list,
        "_transactioncurrencyid_value": currency_id,
        "_ownerid_value": account["_ownerid_value"],
        "_ownerid_type": "systemuser",
        "paymenttermscode": account.get("paymenttermscode"),
        "shippingmethodcode": account.get("address1_shippingmethodcode"),
        "freighttermscode": account.get("address1_freighttermscode"),
        "billto_name": account["name"],
        "shipto_name": account["name"],
        **{f"billto_{k}": v for k, v in address.items()},
        **{f"shipto_{k}": v for k, v in address.items()},
        "requestdeliveryby": start + dt.timedelta(days=rng.randrange(14, 60)),
    }
    if rng.random() < 0.25:
        header["discountpercentage"] = Decimal(rng.choice((2, 5, 10)))
    if rng.random() < 0.3:
        header["freightamount"] = money(rng, 25, 250)
    if entity == "quote":
        header.update(effectivefrom=start, effectiveto=start + dt.timedelta(days=30))
    return header
