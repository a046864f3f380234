"""The REST API end to end over both reference services: enable, full sync, couplings,
synchronize now, errors, skipped records and their restore."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.web.conftest import CONNECTION, Web


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_setup_and_mappings(web: Web) -> None:
    api = web.http
    assert api.get("/api/v1/mappings").status_code == 409  # not set up
    assert _ok(api.put("/api/v1/connection", json=CONNECTION))["enabled"] is False
    assert api.post("/api/v1/sync").status_code == 409  # set up, not enabled
    assert _ok(api.post("/api/v1/connection/test"))["ok"] is True
    # Changing one value keeps the rest, secrets included.
    changed = _ok(api.put("/api/v1/connection", json={"erp_company": "CRONUS"}))
    assert changed["crm_client_id"] == "crm-app" and "crm-pw" not in str(changed)
    enabled = _ok(api.post("/api/v1/connection/enable"))
    assert "CUSTOMER" in enabled["created_mappings"] and enabled["connection"]["enabled"]
    assert _ok(api.post("/api/v1/connection/enable"))["created_mappings"] == []

    listed = {m["name"]: m for m in _ok(api.get("/api/v1/mappings"))}
    assert listed["CUSTOMER"]["erp_entity"] == "customers"
    customer = _ok(api.get("/api/v1/mappings/CUSTOMER"))
    assert customer["crm_table"] == "accounts" and customer["fields"]
    assert api.get("/api/v1/mappings/NOPE").json()["detail"].startswith("there is no mapping")
    assert api.get("/api/v1/mappings/NOPE").status_code == 404
    queue = {e["name"] for e in _ok(api.get("/api/v1/job-queue"))}
    assert "CUSTOMER" in queue

    # A validated replace: a rule broken is 422 and nothing changes; a good edit sticks.
    bad = {**customer, "direction": "sideways"}
    assert api.put("/api/v1/mappings/CUSTOMER", json=bad).status_code == 422
    assert api.put("/api/v1/mappings/CUSTOMER", json={"fields": []}).status_code == 422
    edited = {**customer, "sync_after_coupling": not customer.get("sync_after_coupling", False)}
    saved = _ok(api.put("/api/v1/mappings/CUSTOMER", json=edited))
    assert saved.get("sync_after_coupling", False) == edited["sync_after_coupling"]
    assert api.put("/api/v1/mappings/NOPE", json=customer).status_code == 404
    assert _ok(api.post("/api/v1/mappings/reset", json={"names": ["CUSTOMER"]})) == {
        "reset": ["CUSTOMER"]
    }
    assert _ok(api.get("/api/v1/mappings/CUSTOMER")) == customer
    assert api.post("/api/v1/mappings/reset", json={"names": ["NOPE"]}).status_code == 404
    assert "openapi" in _ok(api.get("/openapi.json"))


def test_full_sync_couplings_sync_now_errors_and_skipped(web: Web) -> None:
    api, erp, crm = web.http, web.systems.erp, web.systems.crm
    web.seed()
    web.enable()
    review = {x["name"]: x for x in _ok(api.get("/api/v1/full-sync"))}
    assert review["CUSTOMER"]["recommendation"] == "couple-records"
    done = _ok(api.post("/api/v1/full-sync/start?wait=true"))["result"]
    assert done["failed"] == [], (done, api.get("/api/v1/errors").json())
    assert {x["status"] for x in done["lines"]} <= {"finished", "not-started"}

    page = _ok(api.get("/api/v1/mappings/CUSTOMER/couplings", params={"limit": 2}))
    assert page["total"] == 3 and len(page["items"]) == 2
    assert api.get("/api/v1/mappings/NOPE/couplings").status_code == 404
    customers = {c["displayName"]: c for c in erp.rows("customers")}
    adatum = customers["Adatum Corporation"]

    # Synchronize Now one record.
    erp.patch(f"customers({adatum['id']})", {"phoneNumber": "555-0101"})
    result = _ok(
        api.post(
            "/api/v1/mappings/CUSTOMER/sync-now?wait=true",
            json={"erp_ids": [adatum["id"]], "direction": "erp-to-crm"},
        )
    )["result"]
    assert result["summary"].startswith("Synchronized 1 of 1"), result
    accounts = {a["name"]: a for a in crm.get("accounts").json()["value"]}
    assert accounts["Adatum Corporation"]["telephone1"] == "555-0101"
    assert api.post("/api/v1/mappings/CUSTOMER/sync-now", json={}).status_code == 422

    # A salesperson nobody coupled: the customer fails twice and is skipped.
    seller = erp.create("salespeoplePurchasers", {"code": "NEW", "displayName": "New Seller"})
    erp.patch(f"customers({adatum['id']})", {"salespersonCode": "NEW"})
    body = {"mappings": ["CUSTOMER"], "direction": "erp-to-crm"}
    # A run that failed answers so (502, with the run's document), not 200.
    failed = _ok(api.post("/api/v1/sync?wait=true", json=body), 502)
    assert failed["failed"] == 1 and failed["ok"] is False
    errors = _ok(api.get("/api/v1/errors"))
    assert "must be coupled" in errors[0]["message"] and errors[0]["source_id"] == adatum["id"]
    erp.patch(f"customers({adatum['id']})", {"phoneNumber": "555-0102"})
    # The second failure skips it: the run itself succeeded.
    _ok(api.post("/api/v1/sync?wait=true", json=body))
    skipped = _ok(api.get("/api/v1/skipped"))
    assert [s["erp_id"] for s in skipped] == [adatum["id"]]

    # Couple the salesperson to a CRM user, restore the record: it synchronizes.
    user = crm.create("systemusers", {"firstname": "New", "lastname": "Seller"})
    coupled = _ok(
        api.post(
            "/api/v1/mappings/SALESPEOPLE/couplings",
            json={"erp_id": seller["id"], "crm_id": user["systemuserid"]},
        ),
        201,
    )
    assert coupled["coupling"]["erp_id"] == seller["id"]
    assert api.post("/api/v1/skipped/restore", json={}).status_code == 422
    assert _ok(api.post("/api/v1/skipped/restore", json={"all": True})) == {"restored": 1}
    assert _ok(api.get("/api/v1/skipped")) == []
    jobs = _ok(api.post("/api/v1/sync?wait=true", json=body))["result"]["jobs"]
    assert sum(j["modified"] for j in jobs) == 1 and not any(j["failed"] for j in jobs)
    assert _ok(api.get("/api/v1/jobs", params={"mapping": "CUSTOMER"}))[0]["modified"] == 1


def test_couple_uncouple_match_and_create(web: Web) -> None:
    api, erp, crm = web.http, web.systems.erp, web.systems.crm
    web.seed()
    web.enable()
    customers = {c["displayName"]: c for c in erp.rows("customers")}
    accounts = {a["name"]: a for a in crm.get("accounts").json()["value"]}
    url = "/api/v1/mappings/CUSTOMER"
    # CUSTOMER needs its salespeople and currencies coupled first: full-sync those.
    _ok(
        api.post(
            "/api/v1/sync?wait=true",
            json={"mappings": ["SALESPEOPLE", "CURRENCY"], "full": True},
        )
    )

    matched = _ok(api.post(f"{url}/match", json={"create_new": False}))
    assert matched["coupled"] == {
        customers["Trey Research"]["id"]: accounts["Trey Research"]["accountid"]
    }
    assert matched["unmatched"] == [customers["Adatum Corporation"]["id"]]
    created = _ok(api.post(f"{url}/create-in-crm", json={"erp_ids": matched["unmatched"]}))
    assert sum(j["inserted"] for j in created["jobs"]) == 1
    again = _ok(api.post(f"{url}/create-in-crm", json={"erp_ids": matched["unmatched"]}))
    assert again["already_coupled"] == matched["unmatched"]
    fourth = accounts["Fourth Coffee"]["accountid"]
    made = _ok(api.post(f"{url}/create-in-erp", json={"crm_ids": [fourth]}))
    assert sum(j["inserted"] for j in made["jobs"]) == 1
    assert _ok(api.get(f"{url}/couplings"))["total"] == 3

    trey = customers["Trey Research"]["id"]
    gone = _ok(api.request("DELETE", f"{url}/couplings", json={"erp_ids": [trey]}))
    assert gone["uncoupled"] == 1
    bad = api.post(f"{url}/couplings", json={"erp_id": trey, "crm_id": fourth})
    assert bad.status_code == 422 and "already coupled" in bad.json()["detail"]
    pair = {"erp_id": trey, "crm_id": accounts["Trey Research"]["accountid"]}
    back = api.post(f"{url}/couplings", json={**pair, "sync": "erp-to-crm"})
    assert _ok(back, 201)["jobs"]
    assert api.post(f"{url}/couplings", json={"erp_id": "", "crm_id": "x"}).status_code == 422
    everything = _ok(api.request("DELETE", f"{url}/couplings", json={"all": True}))
    assert everything["uncoupled"] == 3


def test_runs_are_queued_and_polled(web: Web) -> None:
    api, erp = web.http, web.systems.erp
    web.seed()
    web.enable()
    body = {"mappings": ["SALESPEOPLE", "CURRENCY", "CUSTOMER"], "full": True}
    queued = api.post("/api/v1/sync", json=body)
    assert queued.status_code == 202, queued.text
    run = queued.json()
    assert run["status"] == "queued" and queued.headers["location"] == run["url"]
    assert run["url"] == f"/api/v1/jobs/queue/{run['id']}"
    assert _ok(api.get(run["url"]))["entry"]["one_off"] is True
    assert api.post("/api/v1/sync", json={"mappings": ["NOPE"]}).status_code == 404
    # Nothing ran inside the request: the worker does it.
    assert erp.rows("customers") and _ok(api.get("/api/v1/jobs")) == []
    ran = web.engine.worker().run_named(f"RUN-{run['id']}")
    assert ran is not None and ran.status.value == "finished"
    done = _ok(api.get(run["url"]))
    assert done["status"] == "finished" and done["ok"] is True and done["entry"] is None
    logged = {j["id"]: j for j in _ok(api.get("/api/v1/jobs"))}
    assert set(done["jobs"]) == set(logged) and len(done["jobs"]) == 4  # CUSTOMER both ways
    assert done["records"] == sum(
        logged[j][k] for j in logged for k in ("inserted", "modified", "unchanged", "failed")
    )
    assert {j["id"] for j in done["result"]["jobs"]} == set(done["jobs"])
    assert done["summary"].startswith("4 job(s):") and done["records"] > 0
    assert api.get("/api/v1/jobs/queue/nope").status_code == 404

    # A run that fails is retried once (BC's one-off jobs); the reason shows meanwhile.
    refused = api.post("/api/v1/mappings/CUSTOMER/sync-now", json={"erp_ids": ["x"]})
    assert refused.status_code == 422 and "'x' is not an ERP record id" in refused.text
    missing = {"erp_ids": ["8f0c6b1e-3f6d-4a7e-9d1c-2b5e4a6f7c80"]}
    failing = api.post("/api/v1/mappings/CUSTOMER/sync-now", json=missing).json()
    connection = web.engine.connection()
    web.engine.config.save_connection(
        dataclasses.replace(connection, enabled=False), web.engine.clock()
    )
    web.engine.worker().run_named(f"RUN-{failing['id']}")
    retrying = _ok(api.get(failing["url"]))
    assert retrying["status"] == "retrying" and "not enabled" in retrying["error"]
    assert retrying["entry"]["attempts"] == 1


def test_a_run_that_cannot_work_is_refused_before_it_is_queued(web: Web) -> None:
    api = web.http
    web.enable()
    before = _ok(api.get("/api/v1/job-queue"))
    # CURRENCY goes from the ERP to the CRM only; invoice lines go with their invoice.
    wrong_way = {"mappings": ["CURRENCY"], "direction": "crm-to-erp"}
    for body in (wrong_way, {"mappings": ["POSTEDSALESLINE-INV"]}):
        for wait in ("false", "true"):
            refused = api.post(f"/api/v1/sync?wait={wait}", json=body)
            assert refused.status_code == 400, refused.text
    assert "cannot run crm-to-erp" in api.post("/api/v1/sync", json=wrong_way).json()["detail"]
    lines = api.post("/api/v1/sync", json={"mappings": ["POSTEDSALESLINE-INV"]}).json()
    assert "go with their document" in lines["detail"]
    sync_now = api.post(
        "/api/v1/mappings/CURRENCY/sync-now", json={"crm_ids": [], "erp_ids": ["x"]} | wrong_way
    )
    assert sync_now.status_code in (400, 422), sync_now.text
    # Nothing was queued for any of them.
    assert _ok(api.get("/api/v1/job-queue")) == before
    # A direction with no mapping named runs the mappings that go that way, and succeeds.
    done = _ok(api.post("/api/v1/sync?wait=true", json={"direction": "crm-to-erp"}))
    assert done["ok"] is True
    ran = {j["mapping"] for j in done["result"]["jobs"]}
    assert (
        ran
        and "CURRENCY" not in ran
        and {j["direction"] for j in done["result"]["jobs"]} == {"crm-to-erp"}
    )
