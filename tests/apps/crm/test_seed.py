"""Sample data: what `seed_crm` creates, seen through the Web API, and that it is repeatable."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from couplet.apps.crm.seed import MAX_PRODUCTS, AlreadySeeded, open_crm_tx, seed_crm
from tests.helpers import CrmClient

SMALL = {"accounts": 12, "contacts_per_account": 2, "products": 10, "quotes": 4, "orders": 3}


def _seed(database_url: str, seed: int = 42) -> dict[str, int]:
    with open_crm_tx(database_url) as tx:
        return seed_crm(tx, seed=seed, **SMALL)


def _all(crm: CrmClient, path: str, **params: str) -> list[dict[str, Any]]:
    r = crm.get(path, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["value"])


def test_seed_returns_counts_per_entity_set(crm: CrmClient, database_url: str) -> None:
    counts = _seed(database_url)
    assert counts["accounts"] == 12 and counts["contacts"] == 24
    assert counts["products"] == counts["productpricelevels"] == 10
    assert counts["quotes"] == 4 and counts["salesorders"] == 3
    assert counts["transactioncurrencies"] == 2 and counts["pricelevels"] == 1
    # What the service itself created beforehand: the base currency, the admin user and the
    # SYSTEM user its own writes are made as.
    existing = {"transactioncurrencies": 1, "systemusers": 2}
    for entity_set, n in counts.items():
        r = crm.get(f"{entity_set}/$count")
        assert r.status_code == 200, r.text
        assert int(r.text) == n + existing.get(entity_set, 0), entity_set


def test_accounts_have_contacts_owners_and_valid_choices(crm: CrmClient, database_url: str) -> None:
    _seed(database_url)
    currencies = {c["transactioncurrencyid"]: c for c in _all(crm, "transactioncurrencies")}
    assert {c["isocurrencycode"] for c in currencies.values()} == {"USD", "EUR", "GBP"}
    salespeople = {
        u["systemuserid"] for u in _all(crm, "systemusers", **{"$filter": "title ne null"})
    }
    accounts = _all(crm, "accounts", **{"$expand": "contact_customer_accounts"})
    assert len(accounts) == 12
    for account in accounts:
        assert account["customertypecode"] in (3, 8)
        assert account["paymenttermscode"] in (1, 2, 3, 4)
        assert account["address1_city"] and account["telephone1"]
        assert account["_ownerid_value"] in salespeople
        assert account["_transactioncurrencyid_value"] in currencies
        contacts = account["contact_customer_accounts"]
        assert len(contacts) == 2
        assert account["_primarycontactid_value"] in {c["contactid"] for c in contacts}
        for contact in contacts:
            assert contact["_parentcustomerid_value"] == account["accountid"]
            assert contact["fullname"] == f"{contact['firstname']} {contact['lastname']}"
            assert contact["_ownerid_value"] == account["_ownerid_value"]
    assert sum(a["customertypecode"] == 3 for a in accounts) > 6


def test_products_are_priced_on_the_price_list_in_their_units(
    crm: CrmClient, database_url: str
) -> None:
    _seed(database_url)
    units = {u["uomid"]: u for u in _all(crm, "uoms")}
    assert {u["name"] for u in units.values() if u["isschedulebaseuom"]} == {"Each", "Hour"}
    products = _all(crm, "products", **{"$expand": "product_price_levels"})
    assert {p["producttypecode"] for p in products} == {1, 3}
    assert len({p["productnumber"] for p in products}) == len(products)
    for product in products:
        assert product["statecode"] == 0 and Decimal(str(product["price"])) > 0
        unit = units[product["_defaultuomid_value"]]
        assert unit["name"] == ("Hour" if product["producttypecode"] == 3 else "Each")
        assert unit["_uomscheduleid_value"] == product["_defaultuomscheduleid_value"]
        [item] = product["product_price_levels"]
        assert item["amount"] == product["price"]
        assert item["_pricelevelid_value"] == product["_pricelevelid_value"]
        assert item["_uomid_value"] == product["_defaultuomid_value"]


@pytest.mark.parametrize(
    ("entity_set", "lines_nav", "state"),
    [("quotes", "quote_details", 0), ("salesorders", "order_details", 0)],
)
def test_documents_have_priced_lines_and_totals(
    crm: CrmClient, database_url: str, entity_set: str, lines_nav: str, state: int
) -> None:
    _seed(database_url)
    prices = {p["productid"]: Decimal(str(p["price"])) for p in _all(crm, "products")}
    accounts = {a["accountid"]: a for a in _all(crm, "accounts")}
    documents = _all(crm, entity_set, **{"$expand": lines_nav})
    assert documents
    for doc in documents:
        assert doc["statecode"] == state
        account = accounts[doc["_customerid_value"]]
        assert doc["_ownerid_value"] == account["_ownerid_value"]
        assert doc["_transactioncurrencyid_value"] == account["_transactioncurrencyid_value"]
        if entity_set == "salesorders":
            assert account["customertypecode"] == 3
        lines = doc[lines_nav]
        assert 1 <= len(lines) <= 4
        for line in lines:
            assert Decimal(str(line["priceperunit"])) == prices[line["_productid_value"]]
            assert Decimal(str(line["baseamount"])) == (
                Decimal(str(line["priceperunit"])) * Decimal(str(line["quantity"]))
            )
        item_total = sum(
            Decimal(str(line["baseamount"])) - Decimal(str(line["manualdiscountamount"] or 0))
            for line in lines
        )
        assert Decimal(str(doc["totallineitemamount"])) == item_total
        assert Decimal(str(doc["totalamount"])) == (
            Decimal(str(doc["totalamountlessfreight"]))
            + Decimal(str(doc["freightamount"] or 0))
            + Decimal(str(doc["totaltax"]))
        )


def _fingerprint(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The seeded content without ids, numbers and timestamps (which the server assigns)."""
    with open_crm_tx(database_url) as tx:
        contacts = {c["contactid"]: c["fullname"] for c in tx.find("contact")}
        products = {p["productid"]: p["productnumber"] for p in tx.find("product")}
        accounts = {a["accountid"]: a for a in tx.find("account")}

        def lines(entity: str, column: str, key: str) -> list[tuple[Any, ...]]:
            return sorted(
                (products[r["_productid_value"]], r["quantity"], r["extendedamount"])
                for r in tx.find(entity, **{column: key})
            )

        return {
            "accounts": sorted(
                (
                    a["accountnumber"],
                    a["name"],
                    a["address1_city"],
                    a["customertypecode"],
                    a["creditlimit"],
                    contacts[a["_primarycontactid_value"]],
                )
                for a in accounts.values()
            ),
            "products": sorted(
                (p["productnumber"], p["name"], p["price"]) for p in tx.find("product")
            ),
            "quotes": sorted(
                (
                    q["name"],
                    accounts[q["_customerid_value"]]["accountnumber"],
                    q["totalamount"],
                    lines("quotedetail", "_quoteid_value", q["quoteid"]),
                )
                for q in tx.find("quote")
            ),
            "orders": sorted(
                (
                    o["name"],
                    o["totalamount"],
                    lines("salesorderdetail", "_salesorderid_value", o["salesorderid"]),
                )
                for o in tx.find("salesorder")
            ),
        }


def test_seeding_is_deterministic(database_url: str, tmp_path: Path) -> None:
    # The same seed on another database (and backend) gives the same data; another seed
    # gives other data.
    same, other = f"sqlite:///{tmp_path}/same.db", f"sqlite:///{tmp_path}/other.db"
    assert _seed(database_url) == _seed(same)
    _seed(other, seed=7)
    assert _fingerprint(database_url) == _fingerprint(same)
    assert _fingerprint(database_url)["accounts"] != _fingerprint(other)["accounts"]


def test_seeding_a_seeded_crm_is_refused(database_url: str) -> None:
    _seed(database_url)
    with pytest.raises(AlreadySeeded, match="already holds 12 accounts"):
        _seed(database_url)


def test_bad_counts_are_refused_before_writing(database_url: str) -> None:
    with (
        pytest.raises(ValueError, match=f"At most {MAX_PRODUCTS}"),
        open_crm_tx(database_url) as tx,
    ):
        seed_crm(tx, accounts=3, products=MAX_PRODUCTS + 1)
    with pytest.raises(ValueError, match="negative"), open_crm_tx(database_url) as tx:
        seed_crm(tx, accounts=-1)
    with open_crm_tx(database_url) as tx:
        assert tx.find("account") == [] and tx.find("product") == []
