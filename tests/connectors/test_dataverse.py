"""The Dataverse connector against the reference CRM, over HTTP (in-process)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from couplet.connectors.dataverse.connector import DataverseConnector
from couplet.connectors.http import (
    ClientCredentials,
    HttpSession,
    OAuthClientCredentials,
    RetryPolicy,
)
from couplet.engine.errors import FatalError, RetryableError
from couplet.engine.model import Condition, Op, Ref
from tests.helpers import ADMIN_ID, ADMIN_SECRET, CrmClient, crm_client


def connect(
    crm: CrmClient,
    *,
    sleep: list[float] | None = None,
    secret: str = ADMIN_SECRET,
    batch_size: int = 100,
) -> DataverseConnector:
    crm.http.auth = OAuthClientCredentials(
        ClientCredentials(
            "http://testserver/oauth2/token", ADMIN_ID, secret, "http://testserver/.default"
        )
    )
    waits = sleep if sleep is not None else []
    session = HttpSession(crm.http, sleep=waits.append, policy=RetryPolicy(attempts=3))
    return DataverseConnector(session, "http://testserver", batch_size=batch_size)


@pytest.fixture
def dv(crm: CrmClient) -> Iterator[DataverseConnector]:
    yield connect(crm)


def _usd(crm: CrmClient) -> str:
    return str(crm.get("transactioncurrencies").json()["value"][0]["transactioncurrencyid"])


def test_insert_read_update_delete_with_lookups(crm: CrmClient, dv: DataverseConnector) -> None:
    usd = _usd(crm)
    results = dv.insert_many(
        "accounts",
        [
            {
                "name": "Alpha",
                "customertypecode": 3,
                "creditlimit": Decimal("1000.50"),
                "transactioncurrencyid": Ref("transactioncurrencies", usd),
            },
            {"name": "x" * 500},  # fails alone
            {"name": "Beta", "customertypecode": 3},
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "name" in (results[1].error or "")
    alpha = results[0].row
    assert alpha is not None and alpha.values["name"] == "Alpha"
    assert alpha.values["transactioncurrencyid"] == Ref("transactioncurrencies", usd)
    assert alpha.values["creditlimit"] == Decimal("1000.5")
    assert alpha.modified_on.tzinfo is not None

    contact = dv.insert_many(
        "contacts", [{"lastname": "Kim", "parentcustomerid": Ref("accounts", alpha.id)}]
    )[0].row
    assert contact is not None
    assert contact.values["parentcustomerid"] == Ref("accounts", alpha.id)

    updated = dv.update_many(
        "accounts", [(alpha.id, {"telephone1": "555", "transactioncurrencyid": None})]
    )
    assert updated[0].ok and updated[0].row is not None
    assert updated[0].row.values["telephone1"] == "555"
    assert updated[0].row.values["transactioncurrencyid"] is None

    got = dv.get_many("accounts", [alpha.id, "00000000-0000-0000-0000-000000000001"])
    assert list(got) == [alpha.id]
    assert dv.delete_many("accounts", [alpha.id])[0].ok
    # Updating a row that is gone is an error, never a silent re-create.
    gone = dv.update_many("accounts", [(alpha.id, {"name": "back"})])
    assert not gone[0].ok and "Does Not Exist" in (gone[0].error or "")
    assert dv.get_many("accounts", [alpha.id]) == {}


def test_query_pages_filters_and_modified_range(crm: CrmClient, dv: DataverseConnector) -> None:
    rows = dv.insert_many(
        "accounts",
        [{"name": f"A{i:02d}", "customertypecode": 3 if i % 2 else 8} for i in range(25)],
    )
    assert all(r.ok for r in rows)
    pages = list(
        dv.query("accounts", filters=(Condition("customertypecode", Op.EQ, 3),), page_size=5)
    )
    assert [len(p) for p in pages] == [5, 5, 2]
    names = [r.values["name"] for p in pages for r in p]
    assert len(names) == 12 and len(set(names)) == 12
    stamps = [r.modified_on for p in pages for r in p]
    assert stamps == sorted(stamps)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert list(dv.query("accounts", modified_from=future)) == [[]]
    assert sum(len(p) for p in dv.query("accounts", modified_until=future)) == 25
    assert dv.count("accounts", (Condition("customertypecode", Op.IN, (3, 8)),)) == 25
    accounts = [r.row for r in rows if r.row]
    by_lookup = list(
        dv.query("contacts", filters=(Condition("parentcustomerid", Op.EQ, accounts[0].id),))
    )
    assert by_lookup == [[]]


def test_get_many_chunks_long_id_lists(crm: CrmClient, dv: DataverseConnector) -> None:
    results = dv.insert_many("accounts", [{"name": f"N{i}"} for i in range(230)])
    ids = [r.row.id for r in results if r.row]
    assert len(ids) == 230
    assert set(dv.get_many("accounts", ids)) == set(ids)


def test_batches_are_split(crm: CrmClient) -> None:
    dv = connect(crm, batch_size=7)
    results = dv.insert_many("accounts", [{"name": f"B{i}"} for i in range(20)])
    assert all(r.ok for r in results)
    assert dv.count("accounts") == 20


def test_options(crm: CrmClient, dv: DataverseConnector) -> None:
    assert dv.options("accounts", "paymenttermscode")[1] == "Net 30"
    value = dv.add_option("accounts", "paymenttermscode", "14 DAYS")
    assert dv.options("accounts", "paymenttermscode")[value] == "14 DAYS"


def test_who_am_i_and_bad_credentials(crm: CrmClient, dv: DataverseConnector) -> None:
    assert dv.who_am_i()
    bad = connect(crm, secret="wrong")
    with pytest.raises(FatalError, match="Could not sign in"):
        bad.count("accounts")


def test_throttling_is_retried_after_retry_after(database_url: str) -> None:
    with crm_client(database_url, throttle_requests=2, throttle_window_seconds=60) as crm:
        waits: list[float] = []
        dv = connect(crm, sleep=waits)
        with pytest.raises(RetryableError) as info:
            for _ in range(3):
                dv.count("accounts")
        assert info.value.retry_after is not None and info.value.retry_after > 0
        assert len(waits) == 2 and all(w > 0 for w in waits)


def test_case_insensitive_equality(crm: CrmClient, dv: DataverseConnector) -> None:
    dv.insert_many("accounts", [{"name": "Fabrikam Inc"}, {"name": "Other"}])
    rows = [
        r
        for page in dv.query("accounts", filters=(Condition("name", Op.IEQ, "FABRIKAM inc"),))
        for r in page
    ]
    assert [r.values["name"] for r in rows] == ["Fabrikam Inc"]


def test_unbound_actions_answer_their_body_or_error(crm: CrmClient, dv: DataverseConnector) -> None:
    account = crm.create("accounts", {"name": "Quoted", "customertypecode": 3})
    quote = crm.create(
        "quotes",
        {
            "name": "Refit",
            "customerid_account@odata.bind": f"/accounts({account['accountid']})",
            "pricelevelid@odata.bind": f"/pricelevels({_price_list(crm)})",
        },
    )
    revised = dv.act("ReviseQuote", body={"QuoteId": quote["quoteid"], "ColumnSet": {}})
    assert not revised.ok and revised.error  # a draft cannot be revised
    crm.patch(f"quotes({quote['quoteid']})", {"statecode": 1})
    revised = dv.act(
        "ReviseQuote", body={"QuoteId": quote["quoteid"], "ColumnSet": {"AllColumns": True}}
    )
    assert revised.ok and revised.data is not None
    assert revised.data["revisionnumber"] == 1 and revised.data["quoteid"] != quote["quoteid"]


def _price_list(crm: CrmClient) -> str:
    usd = _usd(crm)
    pricelist = crm.create(
        "pricelevels",
        {"name": "Default", "transactioncurrencyid@odata.bind": f"/transactioncurrencies({usd})"},
    )
    return str(pricelist["pricelevelid"])


def test_requests_are_shaped_as_dataverse_takes_them(
    crm: CrmClient, dv: DataverseConnector
) -> None:
    """Binds use the relationship's navigation names, filters no `tolower`, reads `$select`."""
    sent: list[httpx.Request] = []
    crm.http.event_hooks = {"request": [sent.append]}
    account = dv.insert_many("accounts", [{"name": "Contoso", "customertypecode": 3}])[0].row
    assert account is not None
    order = dv.insert_many(
        "salesorders", [{"name": "SO", "customerid": Ref("accounts", account.id)}]
    )[0].row
    assert order is not None and order.values["customerid"] == Ref("accounts", account.id)
    results = dv.insert_many(
        "annotations",
        [{"subject": "Note", "objectid": Ref("salesorders", order.id)}],
    ) + dv.insert_many(
        "posts",
        [{"text": "Hi", "source": 2, "type": 7, "regardingobjectid": Ref("accounts", account.id)}],
    )
    assert all(r.ok for r in results), [r.error for r in results]
    note = results[0].row
    assert note is not None and note.values["objectid"] == Ref("salesorders", order.id)
    rows = [
        r
        for page in dv.query("accounts", filters=(Condition("name", Op.IEQ, "CONTOSO"),))
        for r in page
    ]
    assert [r.id for r in rows] == [account.id]
    assert set(dv.get_many("accounts", [account.id])) == {account.id}

    # Writes go as bulk messages where the table has them, else in $batch.
    writes = ("$batch", "CreateMultiple", "UpdateMultiple")
    bodies = b"".join(r.content for r in sent if r.url.path.endswith(writes))
    assert b'"customerid_account@odata.bind"' in bodies
    assert b'"objectid_salesorder@odata.bind"' in bodies
    assert b'"regardingobjectid_account@odata.bind"' in bodies
    reads = [r for r in sent if r.method == "GET" and "/EntityDefinitions" not in r.url.path]
    assert reads and all(
        "$select" in r.url.params for r in reads if r.url.path.endswith("accounts")
    )
    assert not any("tolower" in str(r.url).lower() for r in sent)
    definitions = [r for r in sent if "/EntityDefinitions" in r.url.path]
    assert definitions and all("$select" in r.url.params for r in definitions)
    assert any(r.url.path.endswith("/ManyToOneRelationships") for r in definitions)
