"""The admin pages over both reference services: pages render, forms post and redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.web.conftest import CONNECTION, Web


def _post(web: Web, path: str, data: dict[str, object] | None = None) -> tuple[str, str, str]:
    """Posts a form; returns where it redirects and the message and level it carries."""
    r = web.http.post(path, data={**(data or {}), "csrf_token": web.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    url = urlsplit(r.headers["location"])
    query = parse_qs(url.query)
    return url.path, query.get("msg", [""])[0], query.get("level", [""])[0]


def _page(web: Web, path: str, status: int = 200) -> str:
    r: httpx.Response = web.http.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def _run(web: Web, where: str) -> str:
    """Runs the queued run a form redirected to (as the worker would); returns its page."""
    ran = web.engine.worker().run_named(f"RUN-{where.rsplit('/', 1)[1]}")
    assert ran is not None
    return _page(web, where)


def test_setup_through_the_forms(web: Web) -> None:
    assert "not set up" in _page(web, "/")
    assert _post(web, "/sync")[2] == "error"  # nothing set up: reported on the page
    form = _page(web, "/connection")
    assert 'name="crm_client_secret"' in form and "Save" in form
    where, msg, level = _post(web, "/connection", {**CONNECTION, "item_availability": "true"})
    assert (where, msg, level) == ("/connection", "Connection saved.", "ok")
    shown = _page(web, "/connection?msg=Connection+saved.")
    assert "Connection saved." in shown and "crm-pw" not in shown and "erp-pw" not in shown
    assert "stored; leave blank to keep" in shown and "checked" in shown
    # Blank secrets keep the stored ones: the test still signs in.
    blank = {**CONNECTION, "crm_client_secret": "", "erp_client_secret": ""}
    assert _post(web, "/connection", blank)[2] == "ok"
    _, msg, level = _post(web, "/connection/test")
    assert level == "ok" and "CRM sign-in: ok" in msg, msg
    bad = _post(web, "/connection", {**CONNECTION, "crm_url": "nope"})
    assert bad[2] == "error" and "not an http(s) URL" in bad[1]
    where, msg, level = _post(web, "/connection/enable")
    assert where == "/" and level == "ok" and "Default mappings created" in msg
    dashboard = _page(web, "/")
    assert "enabled" in dashboard and 'href="/mappings/CUSTOMER"' in dashboard


def test_pages_and_actions_after_a_full_sync(web: Web) -> None:
    web.seed()
    web.enable()
    review = _page(web, "/full-sync")
    assert "couple-records" in review and "Start full synchronization" in review
    where, msg, _ = _post(web, "/full-sync/start")
    assert where.startswith("/runs/") and msg == "Queued: the worker runs it."
    assert "queued" in _page(web, where) and 'http-equiv="refresh"' in _page(web, where)
    _run(web, where)
    shown = _page(web, where)
    assert "Full synchronization finished." in shown and "refresh" not in shown
    assert "finished" in _page(web, "/full-sync")

    page = _page(web, "/mappings/CUSTOMER")
    assert "Field mappings" in page and "displayName" in page and "Coupled records" in page
    assert "(3)" in page and "Synchronize now" in page and "Match-based coupling" in page
    assert "No mapping" not in page
    where, _, level = _post(web, "/mappings/CUSTOMER/sync", {"direction": "erp-to-crm"})
    assert level == "ok" and "1 job(s): 0 inserted" in _run(web, where)
    erp_id = web.systems.erp.rows("customers")[0]["id"]
    where, _, _ = _post(web, "/mappings/CUSTOMER/couplings/sync", {"erp_ids": [erp_id]})
    assert "Synchronized 1 of 1" in _run(web, where)
    assert "Not found" in _page(web, "/runs/nope", 404)
    _, msg, _ = _post(web, "/mappings/CUSTOMER/match", {"create_new": "true"})
    assert msg.startswith("Coupled 0"), msg  # everything is coupled already
    assert _post(web, "/mappings/CUSTOMER/reset")[1] == "CUSTOMER restored to its default setup."
    _, msg, _ = _post(web, "/mappings/CUSTOMER/couplings/delete", {"erp_ids": [erp_id]})
    assert msg == "1 coupling(s) removed."
    assert "(2)" in _page(web, "/mappings/CUSTOMER")
    assert "Not found" in _page(web, "/mappings/NOPE", 404)

    jobs = _page(web, "/jobs?mapping=CUSTOMER")
    assert "Integration synchronization jobs" in jobs and "synchronization" in jobs
    assert "Synchronization errors" in _page(web, "/errors")
    assert "No skipped records" in _page(web, "/skipped")
    assert _post(web, "/skipped/restore", {"everything": "true"})[1] == "0 record(s) restored."
    dashboard = _page(web, "/")
    assert "Synchronize modified records now" in dashboard
    where, _, level = _post(web, "/sync")
    assert level == "ok" and "finished" in _run(web, where)
