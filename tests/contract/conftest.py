"""The three record ports the contract runs against, each over a fresh, empty table.

The reference services run in-process on SQLite with the subject's clock, so modified
stamps are as predictable as the memory port's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from couplet.connectors.memory import MemoryRecordPort
from couplet.engine.model import Ref, Side
from couplet.engine.ports import WriteResult
from couplet.testing.clock import FakeClock
from couplet.testing.port_contract import ActionCall, PortUnderTest, contract_clock
from tests.connectors import test_business_central, test_dataverse
from tests.helpers import CrmClient, ErpClient, crm_client, erp_client

# Where a real connector breaks the contract: (test, subject) -> why. Strict, so a fix
# shows up as an unexpected pass and the entry is removed.
KNOWN_GAPS = {
    ("test_a_filter_on_none_finds_rows_without_a_value", "business_central"): (
        "the connector reads Business Central's blank text as None but renders a filter on "
        "None as `eq null`, which matches no blank field"
    ),
}
MISSING_ID = "00000000-0000-0000-0000-000000000001"
CITIES = ("Oslo", "Lima")


def _row(label: str, city: str) -> Callable[[int, str], dict[str, object]]:
    return lambda n, tag: {label: f"Row {n:02d}", city: tag}


def memory_subject(clock: FakeClock, side: Side) -> PortUnderTest:
    port = MemoryRecordPort(side, clock)
    # The fake has no schema; it refuses what Dataverse would (a name over 160 characters).
    port.fail_writes(
        "accounts",
        "name: the value is longer than 160 characters",
        when=lambda _, values: len(str(values.get("name") or "")) > 160,
    )

    def release(
        port: MemoryRecordPort, table: str | None, row_id: str | None, _: Mapping[str, object]
    ) -> WriteResult:
        if table is None or row_id not in port.tables.get(table, {}):
            return WriteResult(error=f"{table} {row_id} does not exist")
        return WriteResult(data={})

    port.actions["release"] = release

    def good() -> ActionCall:
        row = port.add("quotes", name="Refit")
        return ActionCall("release", table="quotes", row_id=row.id)

    return PortUnderTest(
        port=port,
        clock=clock,
        table="accounts",
        label_field="name",
        filter_field="city",
        tags=CITIES,
        make_row=_row("name", "city"),
        bad_values={"name": "x" * 500},
        missing_id=MISSING_ID,
        good_action=good,
        failing_action=lambda: ActionCall("release", table="quotes", row_id=MISSING_ID),
        reference=lambda: ("currencyid", Ref("currencies", port.add("currencies", code="EUR").id)),
    )


def dataverse_subject(crm: CrmClient, clock: FakeClock) -> PortUnderTest:
    def currency() -> str:
        return str(crm.get("transactioncurrencies").json()["value"][0]["transactioncurrencyid"])

    def quote() -> str:
        account = crm.create("accounts", {"name": "Quoted"})
        pricelist = crm.create(
            "pricelevels",
            {
                "name": "Default",
                "transactioncurrencyid@odata.bind": f"/transactioncurrencies({currency()})",
            },
        )
        created = crm.create(
            "quotes",
            {
                "name": "Refit",
                "customerid_account@odata.bind": f"/accounts({account['accountid']})",
                "pricelevelid@odata.bind": f"/pricelevels({pricelist['pricelevelid']})",
            },
        )
        return str(created["quoteid"])

    def good() -> ActionCall:
        quote_id = quote()
        crm.patch(f"quotes({quote_id})", {"statecode": 1})  # only an active quote is revised
        return ActionCall(
            "ReviseQuote", body={"QuoteId": quote_id, "ColumnSet": {"AllColumns": True}}
        )

    def failing() -> ActionCall:
        return ActionCall("ReviseQuote", body={"QuoteId": quote(), "ColumnSet": {}})  # a draft

    return PortUnderTest(
        port=test_dataverse.connect(crm),
        clock=clock,
        table="accounts",
        label_field="name",
        filter_field="address1_city",
        tags=CITIES,
        make_row=_row("name", "address1_city"),
        bad_values={"name": "x" * 500},
        missing_id=MISSING_ID,
        good_action=good,
        failing_action=failing,
        reference=lambda: ("transactioncurrencyid", Ref("transactioncurrencies", currency())),
    )


def business_central_subject(erp: ErpClient, clock: FakeClock) -> PortUnderTest:
    def euro() -> str:
        return str(next(c["id"] for c in erp.rows("currencies") if c["code"] == "EUR"))

    def good() -> ActionCall:
        customer = erp.create("customers", {"displayName": "Quoted"})
        item = erp.create("items", {"displayName": "Desk", "unitPrice": 200})
        quote = erp.create(
            "salesQuotes",
            {
                "customerId": customer["id"],
                "salesQuoteLines": [{"itemId": item["id"], "quantity": 2}],
            },
        )
        return ActionCall("release", table="salesQuotes", row_id=quote["id"])

    return PortUnderTest(
        port=test_business_central.connect(erp),
        clock=clock,
        table="customers",
        label_field="displayName",
        filter_field="city",
        tags=CITIES,
        make_row=_row("displayName", "city"),
        bad_values={"currencyId": "00000000-0000-0000-0000-0000000000aa"},
        missing_id=MISSING_ID,
        good_action=good,
        failing_action=lambda: ActionCall("release", table="salesQuotes", row_id=MISSING_ID),
        reference=lambda: ("currencyId", Ref("currencies", euro())),
    )


@pytest.fixture(params=["memory-crm", "memory-erp", "dataverse", "business_central"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PortUnderTest]:
    clock = contract_clock()
    url = f"sqlite:///{tmp_path}/service.db"
    if request.param.startswith("memory"):
        # The side matters: it names the last-modifier field and decides how a missing
        # value compares (Dataverse nulls, Business Central blanks).
        yield memory_subject(clock, Side.CRM if request.param == "memory-crm" else Side.ERP)
    elif request.param == "dataverse":
        with crm_client(url, clock=clock) as crm:
            yield dataverse_subject(crm, clock)
    else:
        with erp_client(url, clock=clock) as erp:
            yield business_central_subject(erp, clock)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):
            continue  # the hook sees the whole session's items
        callspec = getattr(item, "callspec", None)
        name = getattr(item, "originalname", item.name)
        reason = KNOWN_GAPS.get((name, callspec.id if callspec else ""))
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
