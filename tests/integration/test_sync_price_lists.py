"""End to end over HTTP: price lists (docs/behaviour.md §1.2 PLHEADER-PRICE,
PLLINE-PRODPRICE) - state from status, a fixed currency, lines following their list,
existing CRM prices coupled instead of duplicated, resource prices - and currencies with the
ERP's exchange rate and precision (CURRENCY)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.integration.conftest import Systems
from tests.integration.engine_cli import cli, enable, errors, sync


def _unit(systems: Systems, code: str) -> dict[str, Any]:
    known = {u["code"]: u for u in systems.erp.rows("unitsOfMeasure")}
    return known.get(code) or systems.erp.create(
        "unitsOfMeasure", {"code": code, "displayName": code}
    )


def _currency(systems: Systems, code: str, rounding: str, rates: list[tuple[str, int, int]]) -> Any:
    known = {c["code"]: c for c in systems.erp.rows("currencies")}
    currency = known.get(code) or systems.erp.create(
        "currencies", {"code": code, "displayName": code, "amountRoundingPrecision": rounding}
    )
    for starting, amount, relational in rates:
        systems.erp.create(
            "currencyExchangeRates",
            {
                "currencyId": currency["id"],
                "startingDate": starting,
                "exchangeRateAmount": amount,
                "relationalExchangeRateAmount": relational,
            },
            custom=True,
        )
    return currency


def _levels(systems: Systems) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in systems.crm.get("pricelevels").json()["value"]}


def _prices(systems: Systems) -> list[dict[str, Any]]:
    return list(systems.crm.get("productpricelevels").json()["value"])


def _full_sync(systems: Systems, code: int = 0) -> list[dict[str, Any]]:
    return list(json.loads(cli(systems, "full-sync", "--start", "--json", code=code)))


def test_currencies_carry_the_erp_exchange_rate(systems: Systems) -> None:
    _currency(systems, "EUR", "0.01", [("2020-01-01", 100, 120), ("2024-01-01", 100, 110)])
    _currency(systems, "JPY", "1", [("2024-01-01", 15000, 100)])
    _currency(systems, "CHF", "0.01", [("2999-01-01", 80, 100)])  # only a future rate
    enable(systems)
    _full_sync(systems, code=1)  # the currency without a rate fails
    crm = {
        c["isocurrencycode"]: c for c in systems.crm.get("transactioncurrencies").json()["value"]
    }
    # Units of the currency per one unit of the CRM's base currency (USD, the ERP's LCY):
    # 100 EUR cost 110 USD, so one USD buys 100/110 EUR.
    assert Decimal(str(crm["EUR"]["exchangerate"])) == Decimal("0.9090909091")
    assert (crm["EUR"]["currencyprecision"], crm["JPY"]["currencyprecision"]) == (2, 0)
    assert Decimal(str(crm["JPY"]["exchangerate"])) == 150
    assert Decimal(str(crm["GBP"]["exchangerate"])) == Decimal("0.79")  # the ERP's seeded rate
    assert "CHF" not in crm
    assert any(
        "No exchange rate is defined for currency CHF" in e["message"] for e in errors(systems)
    )


def test_price_lists_state_currency_lines_and_existing_prices(systems: Systems) -> None:
    erp, crm = systems.erp, systems.crm
    pcs, hour = _unit(systems, "PCS"), _unit(systems, "HOUR")
    eur = _currency(systems, "EUR", "0.01", [("2024-01-01", 100, 110)])
    erp.create("items", {"number": "1000", "displayName": "Bike", "baseUnitOfMeasureId": pcs["id"]})
    erp.create(
        "resources",
        {"number": "R1", "displayName": "Fitter", "baseUnitOfMeasureId": hour["id"]},
        custom=True,
    )
    retail = erp.create(
        "priceLists",
        {"code": "RETAIL", "priceType": "Sale", "amountType": "Price", "status": "Active"},
        custom=True,
    )
    enable(systems)
    _full_sync(systems)
    level = _levels(systems)["RETAIL"]
    assert level["statecode"] == 0  # an active ERP list is active in the CRM
    products = {p["productnumber"]: p for p in crm.get("products").json()["value"]}

    # A price someone entered in the CRM already: the ERP line couples to it.
    units = {u["name"]: u for u in crm.get("uoms").json()["value"]}
    crm.create(
        "productpricelevels",
        {
            "pricelevelid@odata.bind": f"/pricelevels({level['pricelevelid']})",
            "productid@odata.bind": f"/products({products['1000']['productid']})",
            "uomid@odata.bind": f"/uoms({units['PCS']['uomid']})",
            "amount": 99,
        },
    )
    erp.create(
        "priceListLines",
        {"priceListId": retail["id"], "assetType": "Item", "assetNumber": "1000", "unitPrice": 100},
        custom=True,
    )
    erp.create(
        "priceListLines",
        {
            "priceListId": retail["id"],
            "assetType": "Resource",
            "assetNumber": "R1",
            "unitPrice": 80,
        },
        custom=True,
    )
    job = sync(systems, "PLLINE-PRODPRICE")["erp-to-crm"]
    assert (job["inserted"], job["modified"], job["failed"]) == (1, 1, 0), errors(systems)
    prices = {p["_productid_value"]: p for p in _prices(systems)}
    assert len(_prices(systems)) == 2
    assert float(prices[products["1000"]["productid"]]["amount"]) == 100
    resource_price = prices[products["R1"]["productid"]]
    assert float(resource_price["amount"]) == 80
    assert resource_price["_uomid_value"] == units["HOUR"]["uomid"]

    # Deactivating the ERP list deactivates the CRM one.
    erp.patch(f"priceLists({retail['id']})", {"status": "Inactive"}, custom=True)
    assert sync(systems, "PLHEADER-PRICE")["erp-to-crm"]["modified"] == 1
    assert _levels(systems)["RETAIL"]["statecode"] == 1

    # The currency of an existing CRM price list cannot change.
    erp.patch(f"priceLists({retail['id']})", {"currencyId": eur["id"]}, custom=True)
    job = sync(systems, "PLHEADER-PRICE", code=1)["erp-to-crm"]
    assert job["failed"] == 1
    [error] = [e for e in errors(systems) if e["mapping"] == "PLHEADER-PRICE"]
    assert "transactioncurrencyid of an existing pricelevels row" in error["message"]
    assert (
        _levels(systems)["RETAIL"]["_transactioncurrencyid_value"]
        == level["_transactioncurrencyid_value"]
    )

    # A new list (created in the CRM by hand: price lists sync only when coupled) arrives
    # with all its lines.
    wholesale = erp.create(
        "priceLists",
        {"code": "WHOLESALE", "priceType": "Sale", "amountType": "Price", "status": "Draft"},
        custom=True,
    )
    erp.create(
        "priceListLines",
        {
            "priceListId": wholesale["id"],
            "assetType": "Item",
            "assetNumber": "1000",
            "unitPrice": 70,
        },
        custom=True,
    )
    cli(systems, "create-in-crm", "PLHEADER-PRICE", "--erp-id", wholesale["id"])
    new = _levels(systems)["WHOLESALE"]
    assert new["statecode"] == 1  # a draft list is inactive in the CRM
    [line] = [p for p in _prices(systems) if p["_pricelevelid_value"] == new["pricelevelid"]]
    assert float(line["amount"]) == 70
