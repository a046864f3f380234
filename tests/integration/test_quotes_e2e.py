"""Quote processing end to end (§6): CRM quotes become ERP quotes, revisions update them,
won quotes are linked to the ERP order made from them (and the quote link of §5.2)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Systems
from tests.integration.crm_documents import crm_document
from tests.integration.engine_cli import cli, cli_json, errors
from tests.integration.test_orders_e2e import _synced

JOB = "AUTOMATICALLY PROCESS SALES QUOTES"


def _quote(
    systems: Systems, s: dict[str, Any], *, lines: list[dict[str, Any]], **header: Any
) -> dict[str, Any]:
    """An active CRM quote for the synced account with these lines."""
    header.setdefault("name", "Bikes for the fleet")
    return crm_document(systems, "quote", s["account"]["accountid"], lines=lines, **header)


def _bikes(s: dict[str, Any], quantity: int, **more: Any) -> dict[str, Any]:
    return {
        "productid@odata.bind": f"/products({s['product']['productid']})",
        "quantity": quantity,
        **more,
    }


def _note(systems: Systems, quote_id: str, subject: str, **more: Any) -> None:
    systems.crm.create(
        "annotations",
        {
            "subject": subject,
            "notetext": f"{subject}: details",
            "objectid_quote@odata.bind": f"/quotes({quote_id})",
            **more,
        },
    )


def _erp_notes(systems: Systems, erp_id: str) -> list[tuple[str, str]]:
    rows = systems.erp.rows("notes", custom=True, **{"$filter": f"parentId eq {erp_id}"})
    return sorted((n["parentType"], n["title"]) for n in rows)


def _erp_quote(systems: Systems, erp_id: str) -> dict[str, Any]:
    quote = systems.erp.row(f"salesQuotes({erp_id})?$expand=salesQuoteLines")
    quote["salesQuoteLines"].sort(key=lambda x: x["sequence"])
    return quote


def _win_and_convert(systems: Systems, quote_id: str, *, submit: bool) -> dict[str, Any]:
    crm = systems.crm
    close = {
        "QuoteClose": {"subject": "Won", "quoteid@odata.bind": f"/quotes({quote_id})"},
        "Status": 4,
    }
    assert crm.post("WinQuote", close).status_code == 204
    r = crm.post(
        "ConvertQuoteToSalesOrder", {"QuoteId": quote_id, "ColumnSet": {"AllColumns": True}}
    )
    assert r.status_code == 200, r.text
    order = r.json()
    if submit:
        _submit(systems, order)
    return order


def _submit(systems: Systems, order: dict[str, Any]) -> None:
    r = systems.crm.patch(f"salesorders({order['salesorderid']})", {"statecode": 1})
    assert r.status_code == 204, r.text


def _archives(systems: Systems) -> list[dict[str, Any]]:
    return systems.erp.rows(
        "salesQuoteArchives",
        custom=True,
        **{"$orderby": "versionNumber", "$expand": "salesQuoteArchiveLines"},
    )


def test_active_quote_becomes_an_erp_quote_once(systems: Systems) -> None:
    s = _synced(systems)
    long_text = "Carbon frame, size 56. " * 6  # 138 characters: one comment line continues it
    quote = _quote(
        systems,
        s,
        effectiveto="2026-11-30",
        requestdeliveryby="2026-12-15",
        shipto_city="Boston",
        description="Deliver to the back entrance",
        lines=[
            _bikes(s, 2, priceperunit=1100, manualdiscountamount=50, description=long_text),
            _bikes(s, 1, priceperunit=1000, sequencenumber=2),
        ],
    )
    _note(systems, quote["quoteid"], "Call before delivery")
    _note(
        systems,
        quote["quoteid"],
        "Signed offer",
        isdocument=True,
        filename="a.pdf",
        filesize=1200,
        documentbody="JVBERi0=",
    )  # an attachment: not carried over
    assert [q["crm_id"] for q in cli_json(systems, "quotes", "list")] == [quote["quoteid"]]
    [result] = cli_json(systems, "quotes", "process")
    assert result["outcome"] == "created", result
    assert _erp_notes(systems, result["erp_id"]) == [("Sales Quote", "Call before delivery")]
    erp_quote = _erp_quote(systems, result["erp_id"])
    assert erp_quote["number"] == result["erp_number"] and erp_quote["status"] == "Draft"
    assert erp_quote["customerNumber"] == systems.erp.rows("customers")[0]["number"]
    assert erp_quote["yourReference"] == quote["quotenumber"]
    assert erp_quote["externalDocumentNumber"] == "Bikes for the fleet"
    assert erp_quote["validUntilDate"] == "2026-11-30"
    assert erp_quote["requestedDeliveryDate"] == "2026-12-15"
    assert erp_quote["shipToCity"] == "Boston"
    assert erp_quote["workDescription"] == "Deliver to the back entrance"
    lines = erp_quote["salesQuoteLines"]
    assert [(x["lineType"], x["quantity"], x["unitPrice"]) for x in lines] == [
        ("Item", 2, 1100),
        ("Comment", 0, 0),
        ("Item", 1, 1000),
    ]
    assert lines[0]["discountAmount"] == 50
    assert lines[0]["description"] + lines[1]["description"] == long_text
    assert lines[1]["attachedToSequence"] == lines[0]["sequence"]
    crm_after = systems.crm.row("quotes", quote["quoteid"])
    assert (crm_after["statecode"], crm_after["statuscode"]) == (1, 2)  # Active, In Progress
    # Processing again, by id or all waiting, creates nothing new.
    assert cli_json(systems, "quotes", "list") == []
    assert cli_json(systems, "quotes", "process") == []
    [again] = cli_json(systems, "quotes", "process", quote["quoteid"])
    assert again["outcome"] == "unchanged" and again["erp_id"] == result["erp_id"]
    assert len(systems.erp.rows("salesQuotes")) == 1
    jobs = [j for j in cli_json(systems, "jobs") if j["mapping"] == "SALESQUOTE-QUOTE"]
    assert sorted((j["inserted"], j["unchanged"]) for j in jobs) == [(0, 1), (1, 0)]


def test_uncoupled_customer_is_a_clear_error_and_creates_nothing(systems: Systems) -> None:
    s = _synced(systems)
    stranger = systems.crm.create("accounts", {"name": "Fabrikam", "customertypecode": 3})
    good = _quote(systems, s, lines=[_bikes(s, 1)])
    bad = _quote(systems, {**s, "account": stranger}, lines=[_bikes(s, 1)])
    results = {r["crm_id"]: r for r in cli_json(systems, "quotes", "process", code=1)}
    assert results[good["quoteid"]]["outcome"] == "created"  # one failure stops no other
    assert results[bad["quoteid"]]["outcome"] == "failed"
    assert results[bad["quoteid"]]["message"] == (
        "The sales quote cannot be created: there is no customer coupled to the account Fabrikam."
    )
    [logged] = [e for e in errors(systems) if e["source_id"] == bad["quoteid"]]
    assert logged["mapping"] == "SALESQUOTE-QUOTE" and "Fabrikam" in logged["message"]
    assert [q["yourReference"] for q in systems.erp.rows("salesQuotes")] == [good["quotenumber"]]
    assert [q["crm_id"] for q in cli_json(systems, "quotes", "list")] == [bad["quoteid"]]
    listed = cli(systems, "quotes", "list")  # the table a person reads
    assert "CRM quotes waiting for processing" in listed and "Active" in listed
    printed = cli(systems, "quotes", "process", code=1)
    assert f"{bad['quotenumber']}: The sales quote cannot be created" in printed


def test_a_revision_updates_the_same_erp_quote_and_archives_the_old_one(
    systems: Systems,
) -> None:
    s = _synced(systems)
    quote = _quote(systems, s, lines=[_bikes(s, 2, priceperunit=1100)])
    _note(systems, quote["quoteid"], "First offer")
    [first] = cli_json(systems, "quotes", "process")
    assert _erp_notes(systems, first["erp_id"]) == [("Sales Quote", "First offer")]
    r = systems.crm.post(
        "ReviseQuote", {"QuoteId": quote["quoteid"], "ColumnSet": {"AllColumns": True}}
    )
    assert r.status_code == 200, r.text
    revision = r.json()
    systems.crm.create(
        "quotedetails",
        {"quoteid@odata.bind": f"/quotes({revision['quoteid']})", **_bikes(s, 5, priceperunit=900)},
    )
    _note(systems, revision["quoteid"], "Second offer")
    r = systems.crm.patch(
        f"quotes({revision['quoteid']})", {"statecode": 1, "name": "Bikes for the fleet, revised"}
    )
    assert r.status_code == 204, r.text
    assert [q["crm_id"] for q in cli_json(systems, "quotes", "list")] == [revision["quoteid"]]
    [second] = cli_json(systems, "quotes", "process")
    assert second["outcome"] == "updated" and second["erp_id"] == first["erp_id"], second
    updated = _erp_quote(systems, first["erp_id"])
    assert updated["externalDocumentNumber"] == "Bikes for the fleet, revised"
    assert [(x["quantity"], x["unitPrice"]) for x in updated["salesQuoteLines"]] == [
        (2, 1100),
        (5, 900),
    ]
    assert _erp_notes(systems, first["erp_id"]) == [("Sales Quote", "Second offer")]
    [archive] = _archives(systems)
    assert (archive["quoteNumber"], archive["versionNumber"]) == (updated["number"], 1)
    assert [x["quantity"] for x in archive["salesQuoteArchiveLines"]] == [2]
    assert len(systems.erp.rows("salesQuotes")) == 1
    # The coupling moved to the new revision: processing it again changes nothing.
    [again] = cli_json(systems, "quotes", "process", revision["quoteid"])
    assert again["outcome"] == "unchanged" and len(_archives(systems)) == 1


def test_won_quote_with_a_submitted_order_links_the_new_erp_order(systems: Systems) -> None:
    s = _synced(systems)
    quote = _quote(systems, s, lines=[_bikes(s, 3, priceperunit=1000)])
    [processed] = cli_json(systems, "quotes", "process")
    order = _win_and_convert(systems, quote["quoteid"], submit=True)
    assert [q["state"] for q in cli_json(systems, "quotes", "list")] == ["Won"]
    [won] = cli_json(systems, "quotes", "process")
    assert won["outcome"] == "linked" and won["erp_id"] == processed["erp_id"], won
    [erp_order] = systems.erp.rows("salesOrders")
    assert erp_order["quoteNumber"] == processed["erp_number"]
    assert erp_order["yourReference"] == order["ordernumber"]
    [archive] = _archives(systems)
    assert archive["quoteNumber"] == processed["erp_number"]
    crm_order = systems.crm.row("salesorders", order["salesorderid"])
    assert crm_order["lastbackofficesubmit"]  # made through order creation
    # Processed once: nothing waits, and naming the quote again changes nothing.
    assert cli_json(systems, "quotes", "list") == []
    [again] = cli_json(systems, "quotes", "process", quote["quoteid"])
    assert again["outcome"] == "unchanged" and "already" in again["message"]
    assert cli_json(systems, "orders", "list") == []
    assert len(systems.erp.rows("salesOrders")) == 1 and len(_archives(systems)) == 1


def test_won_quote_without_a_submitted_order_releases_the_quote_until_it_comes(
    systems: Systems,
) -> None:
    s = _synced(systems)
    quote = _quote(systems, s, lines=[_bikes(s, 1, priceperunit=1000)])
    # Never processed while active: winning makes the ERP quote and releases it.
    order = _win_and_convert(systems, quote["quoteid"], submit=False)
    [won] = cli_json(systems, "quotes", "process")
    assert won["outcome"] == "created", won
    erp_quote = _erp_quote(systems, won["erp_id"])
    assert erp_quote["status"] == "Open"  # released
    assert systems.erp.rows("salesOrders") == [] and _archives(systems) == []
    assert cli_json(systems, "quotes", "list") == []
    _submit(systems, order)
    [made] = cli_json(systems, "orders", "auto")
    assert made["created"] is True and erp_quote["number"] in made["message"], made
    [erp_order] = systems.erp.rows("salesOrders")
    assert erp_order["quoteNumber"] == erp_quote["number"]
    assert [a["quoteNumber"] for a in _archives(systems)] == [erp_quote["number"]]


def test_won_quote_without_an_order_is_an_error(systems: Systems) -> None:
    s = _synced(systems)
    quote = _quote(systems, s, lines=[_bikes(s, 1)])
    close = {
        "QuoteClose": {"subject": "Won", "quoteid@odata.bind": f"/quotes({quote['quoteid']})"},
        "Status": 4,
    }
    assert systems.crm.post("WinQuote", close).status_code == 204
    [failed] = cli_json(systems, "quotes", "process", code=1)
    assert "unable to find the Sales order that corresponds to this quote" in failed["message"]
    [logged] = errors(systems)
    assert logged["source_id"] == quote["quoteid"] and logged["destination_id"] == failed["erp_id"]
    # The quote still waits: once the order exists, the next run finishes it.
    assert [q["crm_id"] for q in cli_json(systems, "quotes", "list")] == [quote["quoteid"]]
    systems.crm.post(
        "ConvertQuoteToSalesOrder", {"QuoteId": quote["quoteid"], "ColumnSet": {"AllColumns": True}}
    )
    [done] = cli_json(systems, "quotes", "process")
    assert done["outcome"] == "released" and len(systems.erp.rows("salesQuotes")) == 1


def test_automatic_processing_runs_as_a_job(systems: Systems) -> None:
    s = _synced(systems)
    cli(systems, "setup", "--auto-process-quotes")
    engine = systems.engine()
    try:
        entry = engine.queue.get(JOB)
        assert entry is not None and entry.status.value == "on-hold-inactivity"
        assert entry.kind == "quotes" and entry.interval_seconds == 1800
        assert JOB not in engine.wake_changed()  # nothing waits yet
        quote = _quote(systems, s, lines=[_bikes(s, 2)])
        assert JOB in engine.wake_changed()
        engine.worker().run_until_idle()
        [erp_quote] = systems.erp.rows("salesQuotes")
        assert erp_quote["yourReference"] == quote["quotenumber"]
        assert JOB not in engine.wake_changed()
    finally:
        engine.close()
    cli(systems, "setup", "--no-auto-process-quotes")
    engine = systems.engine()
    try:
        assert engine.queue.get(JOB) is None
    finally:
        engine.close()
