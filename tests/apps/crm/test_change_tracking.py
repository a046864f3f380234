"""Change tracking: delta links, changed rows, tombstones, paging, rejected options."""

from __future__ import annotations

from tests.helpers import CrmClient

TRACK = {"Prefer": "odata.track-changes"}


def _follow(crm: CrmClient, link: str, **headers: str) -> dict:  # type: ignore[type-arg]
    r = crm.get(link.split("/api/data/v9.2/")[-1], headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_initial_read_then_changes_and_deletions(crm: CrmClient) -> None:
    a = crm.create("accounts", {"name": "A"})
    b = crm.create("accounts", {"name": "B"})
    r = crm.get("accounts", params={"$select": "name"}, headers=TRACK)
    assert r.status_code == 200
    assert "odata.track-changes" in r.headers["Preference-Applied"]
    first = r.json()
    assert {x["name"] for x in first["value"]} == {"A", "B"}
    delta_link = first["@odata.deltaLink"]
    assert "$deltatoken=" in delta_link or "%24deltatoken=" in delta_link

    empty = _follow(crm, delta_link)
    assert empty["value"] == []
    assert empty["@odata.context"].endswith("/$delta")

    crm.patch(f"accounts({a['accountid']})", {"name": "A2"})
    c = crm.create("accounts", {"name": "C"})
    crm.delete(f"accounts({b['accountid']})")
    changes = _follow(crm, delta_link)
    rows = [x for x in changes["value"] if "reason" not in x]
    deleted = [x for x in changes["value"] if x.get("reason") == "deleted"]
    assert [x["name"] for x in rows] == ["A2", "C"]
    assert set(rows[0]) == {"@odata.etag", "name", "accountid"}
    assert deleted == [
        {"@odata.context": deleted[0]["@odata.context"], "id": b["accountid"], "reason": "deleted"}
    ]
    assert deleted[0]["@odata.context"].endswith("$metadata#accounts/$deletedEntity")
    # Deletions come after the new and changed rows.
    assert changes["value"][-1]["reason"] == "deleted"

    again = _follow(crm, changes["@odata.deltaLink"])
    assert again["value"] == []
    crm.patch(f"accounts({c['accountid']})", {"name": "C2"})
    assert [x["name"] for x in _follow(crm, changes["@odata.deltaLink"])["value"]] == ["C2"]


def test_created_then_deleted_between_polls_is_reported_deleted(crm: CrmClient) -> None:
    link = crm.get("contacts", headers=TRACK).json()["@odata.deltaLink"]
    tmp = crm.create("contacts", {"lastname": "Temp"})
    crm.delete(f"contacts({tmp['contactid']})")
    changes = _follow(crm, link)["value"]
    assert changes == [
        {
            "@odata.context": changes[0]["@odata.context"],
            "id": tmp["contactid"],
            "reason": "deleted",
        }
    ]


def test_tracking_is_per_table(crm: CrmClient) -> None:
    link = crm.get("accounts", headers=TRACK).json()["@odata.deltaLink"]
    crm.create("contacts", {"lastname": "Elsewhere"})
    assert _follow(crm, link)["value"] == []


def test_tracked_results_are_paged(crm: CrmClient) -> None:
    for i in range(7):
        crm.create("accounts", {"name": f"P{i}"})
    r = crm.get(
        "accounts",
        params={"$select": "name"},
        headers={"Prefer": "odata.track-changes,odata.maxpagesize=3"},
    )
    body = r.json()
    names = [x["name"] for x in body["value"]]
    while "@odata.nextLink" in body:
        body = _follow(crm, body["@odata.nextLink"], Prefer="odata.maxpagesize=3")
        names += [x["name"] for x in body["value"]]
    assert sorted(names) == [f"P{i}" for i in range(7)]
    link = body["@odata.deltaLink"]
    for i in range(5):
        crm.create("accounts", {"name": f"N{i}"})
    body = _follow(crm, link, Prefer="odata.maxpagesize=2")
    changed = [x["name"] for x in body["value"]]
    while "@odata.nextLink" in body:
        body = _follow(crm, body["@odata.nextLink"], Prefer="odata.maxpagesize=2")
        changed += [x["name"] for x in body["value"]]
    assert changed == [f"N{i}" for i in range(5)]
    assert "@odata.deltaLink" in body


def test_options_rejected_under_tracking(crm: CrmClient) -> None:
    for opt, value in (
        ("$filter", "name eq 'x'"),
        ("$orderby", "name"),
        ("$top", "1"),
        ("$expand", "contact_customer_accounts"),
    ):
        r = crm.get("accounts", params={opt: value}, headers=TRACK)
        assert r.status_code == 400
        assert r.json()["error"]["message"] == (
            f'The "{opt[1:]}" query parameter isn\'t supported when Change Tracking is enabled.'
        )


def test_changes_made_during_initial_paging_appear_in_the_delta(crm: CrmClient) -> None:
    rows = [crm.create("accounts", {"name": f"R{i}"}) for i in range(4)]
    first = crm.get(
        "accounts",
        params={"$select": "name"},
        headers={"Prefer": "odata.track-changes,odata.maxpagesize=2"},
    ).json()
    # A row changes after the first page was read but before the delta link is handed out.
    crm.patch(f"accounts({rows[0]['accountid']})", {"name": "R0-changed"})
    body = _follow(crm, first["@odata.nextLink"], Prefer="odata.maxpagesize=2")
    while "@odata.nextLink" in body:
        body = _follow(crm, body["@odata.nextLink"], Prefer="odata.maxpagesize=2")
    delta = _follow(crm, body["@odata.deltaLink"])
    assert "R0-changed" in [x.get("name") for x in delta["value"]]
