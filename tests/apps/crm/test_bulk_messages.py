"""CreateMultiple, UpdateMultiple and UpsertMultiple: all-or-nothing, with single-write rules."""

from __future__ import annotations

from typing import Any

from tests.helpers import CrmClient

CRM = "Microsoft.Dynamics.CRM."
ACCOUNT = CRM + "account"


def _accounts(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"Targets": [{"@odata.type": ACCOUNT, **row} for row in rows]}


def _count(crm: CrmClient, flt: str) -> int:
    return len(crm.get("accounts", params={"$filter": flt}).json()["value"])


def test_create_multiple_answers_the_ids_in_order(crm: CrmClient) -> None:
    r = crm.post(
        f"accounts/{CRM}CreateMultiple",
        _accounts({"name": "Bulk A", "accountnumber": "B-1"}, {"name": "Bulk B"}),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"].endswith(
        "$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse"
    )
    first, second = body["Ids"]
    assert crm.row("accounts", first)["accountnumber"] == "B-1"
    assert crm.row("accounts", second)["name"] == "Bulk B"
    # System columns and rules apply as to a single create (state, owner, who-columns).
    row = crm.row("accounts", second)
    assert row["statecode"] == 0 and row["_ownerid_value"] and row["_createdby_value"]


def test_one_bad_target_refuses_the_whole_call(crm: CrmClient) -> None:
    r = crm.post(
        f"accounts/{CRM}CreateMultiple",
        _accounts({"name": "Fine 1"}, {"name": "x" * 500}, {"name": "Fine 2"}),
    )
    assert r.status_code == 400 and "name" in r.text
    assert _count(crm, "startswith(name,'Fine')") == 0
    # Binds and read-only columns are checked as on a single write.
    bad_bind = crm.post(
        f"accounts/{CRM}CreateMultiple",
        _accounts(
            {
                "name": "Fine 3",
                "regardingobjectid@odata.bind": "/accounts(00000000-0000-0000-0000-000000000001)",
            }
        ),
    )
    assert bad_bind.status_code == 400
    read_only = crm.post(
        f"accounts/{CRM}CreateMultiple",
        _accounts({"name": "Fine 4", "_createdby_value": "00000000-0000-0000-0000-000000000001"}),
    )
    assert read_only.status_code == 400
    assert _count(crm, "startswith(name,'Fine')") == 0


def test_targets_need_their_type(crm: CrmClient) -> None:
    untyped = crm.post(f"accounts/{CRM}CreateMultiple", {"Targets": [{"name": "No type"}]})
    assert untyped.status_code == 400 and "@odata.type" in untyped.text
    wrong = crm.post(
        f"accounts/{CRM}CreateMultiple",
        {"Targets": [{"@odata.type": CRM + "contact", "lastname": "Wrong"}]},
    )
    assert wrong.status_code == 400
    assert crm.post(f"accounts/{CRM}CreateMultiple", {"Targets": []}).status_code == 400
    assert crm.get(f"accounts/{CRM}CreateMultiple").status_code == 405


def test_update_multiple(crm: CrmClient) -> None:
    a = crm.create("accounts", {"name": "Up A"})
    b = crm.create("accounts", {"name": "Up B"})
    r = crm.post(
        f"accounts/{CRM}UpdateMultiple",
        _accounts(
            {"accountid": a["accountid"], "telephone1": "111"},
            {"accountid": b["accountid"], "telephone1": "222"},
        ),
    )
    assert r.status_code == 204, r.text
    assert crm.row("accounts", a["accountid"])["telephone1"] == "111"
    after = crm.row("accounts", b["accountid"])
    assert after["telephone1"] == "222" and after["versionnumber"] > b["versionnumber"]
    # A target naming no row refuses the call: nothing of it is written.
    missing = crm.post(
        f"accounts/{CRM}UpdateMultiple",
        _accounts(
            {"accountid": a["accountid"], "telephone1": "333"},
            {"accountid": "00000000-0000-0000-0000-000000000001", "telephone1": "0"},
        ),
    )
    assert missing.status_code == 404
    assert crm.row("accounts", a["accountid"])["telephone1"] == "111"
    keyless = crm.post(f"accounts/{CRM}UpdateMultiple", _accounts({"telephone1": "9"}))
    assert keyless.status_code == 400


def test_upsert_multiple_by_alternate_key_and_id(crm: CrmClient) -> None:
    existing = crm.create("accounts", {"name": "Old", "accountnumber": "U-1"})
    r = crm.post(
        f"accounts/{CRM}UpsertMultiple",
        _accounts(
            {"@odata.id": "accounts(accountnumber='U-1')", "name": "Renamed"},
            {"@odata.id": "accounts(accountnumber='U-2')", "name": "Created"},
        ),
    )
    assert r.status_code == 204, r.text
    assert crm.row("accounts", existing["accountid"])["name"] == "Renamed"
    created = crm.get("accounts", params={"$filter": "accountnumber eq 'U-2'"}).json()["value"]
    assert [c["name"] for c in created] == ["Created"]
    new_id = "5b0e6b0c-1111-4c4c-9d9d-000000000042"
    by_id = crm.post(
        f"accounts/{CRM}UpsertMultiple", _accounts({"accountid": new_id, "name": "By id"})
    )
    assert by_id.status_code == 204
    assert crm.row("accounts", new_id)["name"] == "By id"


def test_privileges_and_tables_without_the_messages(crm: CrmClient) -> None:
    service = crm.http.app.state.service  # type: ignore[attr-defined]
    from couplet.apps._common.records import SYSTEM, Tx
    from couplet.apps.crm.app import ensure_application_user

    with service.transactions.begin() as conn:
        tx = Tx(conn, service.model, SYSTEM, service.rules, service.clock)
        ensure_application_user(tx, "checker", "pw", "checker", ["Product Availability User"])
    reader = crm.as_client("checker", "pw")
    refused = reader.post(f"accounts/{CRM}CreateMultiple", _accounts({"name": "Not mine"}))
    assert refused.status_code == 403 and "prvWrite" in refused.text
    assert _count(crm, "name eq 'Not mine'") == 0
    posts = crm.post(
        f"posts/{CRM}CreateMultiple", {"Targets": [{"@odata.type": CRM + "post", "text": "hi"}]}
    )
    assert posts.status_code == 400 and "not available" in posts.text
    assert crm.post(f"accounts/{CRM}DeleteMultiple", _accounts({})).status_code == 404
