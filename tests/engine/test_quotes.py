"""Quote processing decisions (§6) on in-memory systems: revisions of released ERP quotes,
retrying a failed rebuild, won quotes processed once, and quotes that cannot be processed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from couplet.connectors.memory import ActionHandler, MemoryRecordPort
from couplet.engine.context import Context
from couplet.engine.couplings import new_coupling
from couplet.engine.model import Ref, Row, Side
from couplet.engine.ports import WriteResult
from couplet.flows.builders.lines import SalesSetup
from couplet.flows.quotes.link import MAPPING
from couplet.flows.quotes.processing import WON_MARKER, process_quotes, waiting_quotes
from couplet.testing.clock import FakeClock
from couplet.testing.memory_state import MemoryStatePort

from .world import CUSTOMER, ITEM_PRODUCT


def _status(status: str) -> ActionHandler:
    def handler(
        port: MemoryRecordPort, table: str | None, row_id: str | None, body: Mapping[str, object]
    ) -> WriteResult:
        assert table is not None and row_id is not None
        port.tables[table][row_id] = Row(
            row_id, port.clock(), {**port.tables[table][row_id].values, "status": status}
        )
        return WriteResult(data={})

    return handler


def _archived(
    port: MemoryRecordPort, table: str | None, row_id: str | None, body: Mapping[str, object]
) -> WriteResult:
    return WriteResult(data={"id": "archive"})


@dataclass
class Quotes:
    clock: FakeClock = field(default_factory=lambda: FakeClock(tick=dt.timedelta(seconds=1)))
    state: MemoryStatePort = field(default_factory=MemoryStatePort)

    def __post_init__(self) -> None:
        self.erp = MemoryRecordPort(Side.ERP, self.clock)
        self.crm = MemoryRecordPort(Side.CRM, self.clock)
        self.erp.actions.update(archive=_archived, release=_status("Open"), reopen=_status("Draft"))
        mappings = {m.name: m for m in (CUSTOMER, ITEM_PRODUCT)}
        self.ctx = Context(self.erp, self.crm, self.state, self.clock, mappings)
        customer = self.erp.add("customers", number="C1")
        self.account = self.crm.add("accounts", name="Adatum", customertypecode=3)
        item = self.erp.add("items", number="1000")
        self.product = self.crm.add(
            "products", productnumber="P1", statecode=0, producttypecode=1, name="Bike"
        )
        self.state.save_couplings(
            [
                new_coupling("c1", "CUSTOMER", customer.id, self.account.id),
                new_coupling("c2", "ITEM-PRODUCT", item.id, self.product.id),
            ]
        )

    def quote(
        self, *, revision: int = 0, state: int = 1, status: int = 2, quantity: int = 1
    ) -> Row:
        quote = self.crm.add(
            "quotes",
            name="Bikes",
            quotenumber="QUO-1",
            revisionnumber=revision,
            statecode=state,
            statuscode=status,
            customerid=Ref("accounts", self.account.id),
        )
        self.crm.add(
            "quotedetails",
            quoteid=Ref("quotes", quote.id),
            productid=Ref("products", self.product.id),
            quantity=quantity,
            priceperunit=100,
        )
        return quote

    def process(self, *ids: str) -> list[dict[str, object]]:
        _, results = process_quotes(self.ctx, list(ids), SalesSetup())
        return [r.__dict__ for r in results]


def test_a_revision_of_a_released_erp_quote_archives_reopens_and_rebuilds_it() -> None:
    w = Quotes()
    old = w.quote(revision=0, state=3, status=7)
    erp_quote = w.erp.add("salesQuotes", number="S-QUO1", status="Open")
    w.erp.add("salesQuoteLines", documentId=erp_quote.id, sequence=10000)
    w.erp.add("salesQuoteLines", documentId=erp_quote.id, sequence=10001, attachedToSequence=10000)
    w.erp.add("notes", parentId=erp_quote.id, title="Old")
    w.state.save_couplings([new_coupling("q0", MAPPING, erp_quote.id, old.id)])
    new = w.quote(revision=1, quantity=4)
    [result] = w.process(new.id)
    assert (result["outcome"], result["erp_id"]) == ("updated", erp_quote.id), result
    # Archived as it was, then reopened so its lines may change.
    assert [a[0] for a in w.erp.acted] == ["archive", "reopen"]
    # The old lines (the attached comment too) and notes are gone, the new line is there.
    assert w.erp.rows("notes") == []
    [rebuilt] = w.erp.rows("salesQuoteLines")
    assert rebuilt.values["documentId"] == erp_quote.id and rebuilt.values["quantity"] == 4
    assert w.state.couplings_by_crm(MAPPING, [old.id]) == {}
    assert w.state.couplings_by_crm(MAPPING, [new.id])[new.id].erp_id == erp_quote.id


def test_a_failed_rebuild_keeps_the_earlier_coupling_so_the_next_run_retries() -> None:
    w = Quotes()
    old = w.quote(revision=0, state=3, status=7)
    erp_quote = w.erp.add("salesQuotes", number="S-QUO1", status="Draft")
    w.state.save_couplings([new_coupling("q0", MAPPING, erp_quote.id, old.id)])
    new = w.quote(revision=1, quantity=2)
    w.erp.fail_writes("salesQuoteLines", "The ERP is busy.", times=1)
    [failed] = w.process(new.id)
    assert failed["outcome"] == "failed" and "The ERP is busy." in str(failed["message"])
    [error] = w.state.errors
    assert (error.source_id, error.destination_id) == (new.id, erp_quote.id)
    assert w.state.couplings_by_crm(MAPPING, [old.id])[old.id].erp_id == erp_quote.id
    assert [q.id for q in waiting_quotes(w.ctx)] == [new.id]
    [retried] = w.process(new.id)
    assert retried["outcome"] == "updated" and retried["erp_id"] == erp_quote.id
    assert waiting_quotes(w.ctx) == []


def test_a_won_quote_waits_for_its_order_then_releases_the_erp_quote_once() -> None:
    w = Quotes()
    quote = w.quote(state=2, status=4)
    [failed] = w.process(quote.id)
    assert "unable to find the Sales order that corresponds to this quote" in str(failed["message"])
    [erp_quote] = w.erp.rows("salesQuotes")  # made anyway, and coupled: not made twice
    assert failed["erp_id"] == erp_quote.id
    assert [q.id for q in waiting_quotes(w.ctx)] == [quote.id]
    w.crm.add("salesorders", ordernumber="ORD-1", statecode=0, quoteid=Ref("quotes", quote.id))
    [released] = w.process(quote.id)
    assert released["outcome"] == "released", released
    assert w.erp.row("salesQuotes", erp_quote.id).values["status"] == "Open"
    assert w.state.couplings_by_crm(WON_MARKER, [quote.id])[quote.id].erp_id == erp_quote.id
    assert waiting_quotes(w.ctx) == []
    [again] = w.process(quote.id)
    assert again["outcome"] == "unchanged" and len(w.erp.acted) == 1
    assert len(w.erp.rows("salesQuotes")) == 1


def test_quotes_that_cannot_be_processed_fail_alone() -> None:
    w = Quotes()
    draft = w.quote(state=0, status=1)
    good = w.quote()
    orphan = w.crm.add(
        "quotes", quotenumber="QUO-2", statecode=1, customerid=Ref("accounts", "nobody")
    )
    results = {r["crm_id"]: r for r in w.process(draft.id, good.id, orphan.id, "missing")}
    assert "is Draft: only active and won quotes are processed" in str(results[draft.id]["message"])
    assert results[good.id]["outcome"] == "created"
    assert results[orphan.id]["message"] == (
        "The sales quote cannot be created: the account is not of the type customer."
    )
    assert results["missing"]["message"] == "The CRM quote missing does not exist."
    [job] = w.state.job_log.values()
    assert (job.mapping, job.inserted, job.failed) == (MAPPING, 1, 3)
    assert {e.source_id for e in w.state.errors} == {draft.id, orphan.id, "missing"}
