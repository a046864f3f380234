"""`/api/v1/quotes`: the quotes waiting for processing, and processing them over REST."""

from __future__ import annotations

from tests.integration.test_orders_e2e import _synced
from tests.integration.test_quotes_e2e import _bikes, _quote
from tests.web.conftest import Web


def test_pending_quotes_and_processing_over_rest(web: Web) -> None:
    api, systems = web.http, web.systems
    assert api.get("/api/v1/quotes/pending").status_code == 409  # not set up
    s = _synced(systems)
    first = _quote(systems, s, lines=[_bikes(s, 1)])
    second = _quote(systems, s, lines=[_bikes(s, 2)])
    pending = api.get("/api/v1/quotes/pending").json()
    assert {q["crm_id"] for q in pending} == {first["quoteid"], second["quoteid"]}
    assert {(q["state"], q["revision"]) for q in pending} == {("Active", 0)}
    # Only the named quote is processed.
    r = api.post("/api/v1/quotes/process", json={"crm_ids": [first["quoteid"]]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["failed"] == 0 and [x["outcome"] for x in body["results"]] == ["created"]
    assert [q["crm_id"] for q in api.get("/api/v1/quotes/pending").json()] == [second["quoteid"]]
    # Without a body, every waiting quote; then nothing is left.
    body = api.post("/api/v1/quotes/process").json()
    assert [x["crm_id"] for x in body["results"]] == [second["quoteid"]]
    assert api.get("/api/v1/quotes/pending").json() == []
    assert api.post("/api/v1/quotes/process").json() == {
        "job_id": None,
        "results": [],
        "failed": 0,
    }
    assert len(systems.erp.rows("salesQuotes")) == 2
    refused = api.post("/api/v1/quotes/process", json={"crm_ids": ["nope"]})
    assert refused.status_code == 422 and "'nope' is not a CRM quote id" in refused.text
    missing = {"crm_ids": ["8f0c6b1e-3f6d-4a7e-9d1c-2b5e4a6f7c80"]}
    failed = api.post("/api/v1/quotes/process", json=missing).json()
    assert failed["failed"] == 1 and "does not exist" in failed["results"][0]["message"]
