"""The Business Central connector against the reference ERP, over HTTP (in-process)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from couplet.connectors.business_central.connector import BusinessCentralConnector
from couplet.connectors.http import ClientCredentials, HttpSession, OAuthClientCredentials
from couplet.engine.errors import ConfigError
from couplet.engine.model import Condition, Op, Ref
from tests.helpers import ADMIN_ID, ADMIN_SECRET, ErpClient, erp_client

ONLINE = "http://testserver/v2.0/contoso/Production"


def connect(
    erp: ErpClient, company: str = "CRONUS", batch_size: int = 100, root: str = "http://testserver"
) -> BusinessCentralConnector:
    erp.http.auth = OAuthClientCredentials(
        ClientCredentials(
            f"{root.rstrip('/')}/oauth2/token", ADMIN_ID, ADMIN_SECRET, "http://testserver/.default"
        )
    )
    return BusinessCentralConnector(
        HttpSession(erp.http, sleep=lambda _: None), root, company, batch_size=batch_size
    )


@pytest.fixture
def erp(database_url: str) -> Iterator[ErpClient]:
    with erp_client(database_url) as client:
        yield client


@pytest.fixture
def bc(erp: ErpClient) -> BusinessCentralConnector:
    return connect(erp)


def test_insert_read_update_delete(erp: ErpClient, bc: BusinessCentralConnector) -> None:
    eur = next(c for c in erp.rows("currencies") if c["code"] == "EUR")
    results = bc.insert_many(
        "customers",
        [
            {
                "displayName": "Adatum",
                "currencyId": Ref("currencies", eur["id"]),
                "creditLimit": Decimal("5000"),
            },
            {"displayName": "Bad", "currencyId": "00000000-0000-0000-0000-0000000000aa"},
            {"displayName": "Trey Research"},
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "currencyId" in (results[1].error or "")
    adatum = results[0].row
    assert adatum is not None and adatum.values["currencyId"] == eur["id"]
    assert adatum.values["creditLimit"] == Decimal("5000")
    assert adatum.values["number"]  # from the number series
    updated = bc.update_many("customers", [(adatum.id, {"phoneNumber": "555-0100"})])
    assert updated[0].ok and updated[0].row is not None
    assert updated[0].row.values["phoneNumber"] == "555-0100"
    assert updated[0].row.modified_on >= adatum.modified_on
    assert set(bc.get_many("customers", [adatum.id, "00000000-0000-0000-0000-000000000001"])) == {
        adatum.id
    }
    assert bc.delete_many("customers", [adatum.id])[0].ok
    gone = bc.update_many("customers", [(adatum.id, {"displayName": "x"})])
    assert not gone[0].ok


def test_query_filters_pages_and_custom_group(erp: ErpClient, bc: BusinessCentralConnector) -> None:
    assert all(
        r.ok
        for r in bc.insert_many(
            "customers",
            [
                {"displayName": f"C{i:02d}", "blocked": "All" if i % 3 == 0 else " "}
                for i in range(14)
            ],
        )
    )
    pages = list(bc.query("customers", filters=(Condition("blocked", Op.EQ, " "),), page_size=4))
    assert [len(p) for p in pages] == [4, 4, 1]
    stamps = [r.modified_on for p in pages for r in p]
    assert stamps == sorted(stamps)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert sum(len(p) for p in bc.query("customers", modified_from=future)) == 0
    assert bc.count("customers", (Condition("blocked", Op.IN, (" ", "All")),)) == 14
    # Sets of the custom API group are reached the same way.
    agents = bc.insert_many("shippingAgents", [{"code": "OWNFLEET", "displayName": "Own fleet"}])
    assert agents[0].ok, agents[0].error
    assert "OWNFLEET" in [r.values["code"] for p in bc.query("shippingAgents") for r in p]


def test_salesperson_codes_travel_as_references(
    erp: ErpClient, bc: BusinessCentralConnector
) -> None:
    sp = bc.insert_many("salespeoplePurchasers", [{"code": "JR", "displayName": "Jim Red"}])
    sp_id = sp[0].row.id  # type: ignore[union-attr]
    customer = bc.insert_many(
        "customers",
        [{"displayName": "Owned", "salespersonCode": Ref("salespeoplePurchasers", sp_id)}],
    )[0].row
    assert customer is not None
    assert customer.values["salespersonCode"] == Ref("salespeoplePurchasers", sp_id)
    assert customer.values["salespersonCode"].label == "JR"  # type: ignore[attr-defined]
    assert erp.row(f"customers({customer.id})")["salespersonCode"] == "JR"
    found = list(bc.query("customers", filters=(Condition("salespersonCode", Op.EQ, sp_id),)))
    assert [r.id for p in found for r in p] == [customer.id]


def test_batches_are_split_at_100(erp: ErpClient) -> None:
    bc = connect(erp, batch_size=500)
    results = bc.insert_many("customers", [{"displayName": f"N{i}"} for i in range(130)])
    assert all(r.ok for r in results) and bc.count("customers") == 130


def test_unknown_company(erp: ErpClient) -> None:
    with pytest.raises(ConfigError, match="no company named 'Nope'"):
        connect(erp, company="Nope").count("customers")


def test_bound_actions_use_the_right_api_group(
    erp: ErpClient, bc: BusinessCentralConnector
) -> None:
    customer = erp.create("customers", {"displayName": "Quoted"})
    item = erp.create("items", {"displayName": "Desk", "unitPrice": 200})
    quote = erp.create(
        "salesQuotes",
        {"customerId": customer["id"], "salesQuoteLines": [{"itemId": item["id"], "quantity": 2}]},
    )
    # release lives in the custom group only; makeOrder is API v2.0's and answers a Location.
    assert bc.act("release", table="salesQuotes", row_id=quote["id"]).ok
    assert erp.row(f"salesQuotes({quote['id']})")["status"] == "Open"
    made = bc.act("makeOrder", table="salesQuotes", row_id=quote["id"])
    assert made.ok and made.data is not None
    order = erp.row(f"salesOrders({made.data['id']})")
    assert order["quoteNumber"] == quote["number"]
    gone = bc.act("release", table="salesQuotes", row_id=quote["id"])
    assert not gone.ok and gone.error


def test_local_currency_code_is_the_company_information_currency(
    erp: ErpClient, bc: BusinessCentralConnector
) -> None:
    [info] = erp.rows("companyInformation")
    assert info["currencyCode"] and bc.local_currency_code() == info["currencyCode"]


def test_business_central_online_root(erp: ErpClient) -> None:
    """With the online root every request - reads, each group's $batch and the requests in
    it, actions - keeps the tenant and environment."""
    sent: list[tuple[str, str, list[str]]] = []

    def record(request: httpx.Request) -> None:
        inner = (
            json.loads(request.content)["requests"] if request.url.path.endswith("$batch") else []
        )
        sent.append((request.method, str(request.url), [r["url"] for r in inner]))

    erp.http.event_hooks["request"].append(record)
    bc = connect(erp, root=ONLINE + "/")
    [created] = bc.insert_many("customers", [{"displayName": "Online"}])
    assert created.ok and created.row is not None
    [agent] = bc.insert_many("shippingAgents", [{"code": "OWN", "displayName": "Own"}])
    assert agent.ok, agent.error
    assert bc.update_many("customers", [(created.row.id, {"city": "Oslo"})])[0].ok
    assert [r.values["city"] for page in bc.query("customers") for r in page] == ["Oslo"]
    assert bc.count("customers") == 1
    assert bc.delete_many("customers", [created.row.id])[0].ok
    api = [(m, u, inner) for m, u, inner in sent if "/oauth2/" not in u]
    assert api and all(u.startswith(ONLINE + "/api/") for _, u, _ in api), api
    batches = {u.removeprefix(ONLINE): inner for m, u, inner in api if u.endswith("$batch")}
    assert set(batches) == {"/api/v2.0/$batch", "/api/couplet/integration/v1.0/$batch"}
    company = f"companies({bc.company_id})/"
    inner_urls = [url for m, u, inner in api if u.endswith("$batch") for url in inner]
    assert inner_urls and all(url.startswith(company) for url in inner_urls), inner_urls
