"""OAuth2 client credentials, bearer tokens, roles and impersonation."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from couplet.apps.crm.app import ensure_application_user
from tests.helpers import ADMIN_ID, ADMIN_SECRET, API, CrmClient, crm_client


def test_token_then_api(crm: CrmClient) -> None:
    r = crm.http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ADMIN_ID,
            "client_secret": ADMIN_SECRET,
            "scope": "http://testserver/.default",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert crm.get("accounts").status_code == 200


def test_bad_secret_and_grant_are_refused(crm: CrmClient) -> None:
    r = crm.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": "nope"},
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = crm.http.post("/oauth2/token", data={"grant_type": "password", "client_id": ADMIN_ID})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = crm.http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ADMIN_ID,
            "client_secret": ADMIN_SECRET,
            "scope": "https://elsewhere/user.read",
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_no_or_bad_token_is_401(crm: CrmClient) -> None:
    assert crm.http.get(API + "accounts").status_code == 401
    r = crm.http.get(API + "accounts", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
    assert "error" in r.json()


def test_expired_token_is_401(database_url: str) -> None:
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
    with crm_client(database_url, clock=lambda: now[0], token_lifetime_seconds=60) as crm:
        assert crm.get("accounts").status_code == 200
        now[0] += dt.timedelta(seconds=61)
        r = crm.get("accounts")
        assert r.status_code == 401
        assert "expired" in r.json()["error"]["message"]


def test_admin_client_is_created_idempotently(database_url: str) -> None:
    with crm_client(database_url):
        pass
    with crm_client(database_url) as crm:
        users = crm.get("systemusers", params={"$filter": "lastname eq 'couplet administrator'"})
        assert len(users.json()["value"]) == 1


def _user_with_roles(crm: CrmClient, client_id: str, roles: list[str]) -> CrmClient:
    service = crm.http.app.state.service  # type: ignore[attr-defined]
    from couplet.apps._common.records import SYSTEM, Tx

    with service.transactions.begin() as conn:
        ensure_application_user(
            Tx(conn, service.model, SYSTEM, service.rules, service.clock),
            client_id,
            "pw",
            client_id,
            roles,
        )
    return crm.as_client(client_id, "pw")


def test_roles_grant_privileges(crm: CrmClient) -> None:
    nobody = _user_with_roles(crm, "no-roles", [])
    r = nobody.get("accounts")
    assert r.status_code == 403
    assert "prvRead" in r.json()["error"]["message"]
    availability = _user_with_roles(crm, "availability", ["Product Availability User"])
    assert availability.get("products").status_code == 200
    assert availability.post("accounts", {"name": "x"}).status_code == 403
    integration = _user_with_roles(crm, "integration", ["Integration User"])
    assert integration.post("accounts", {"name": "x"}).status_code == 204


def test_role_association_via_ref(crm: CrmClient) -> None:
    user = crm.create(
        "systemusers",
        {"firstname": "Ann", "lastname": "Lee", "internalemailaddress": "ann@example.com"},
    )
    assert user["fullname"] == "Ann Lee"
    roles = crm.get("roles", params={"$filter": "name eq 'Integration User'"}).json()["value"]
    r = crm.post(
        f"systemusers({user['systemuserid']})/systemuserroles_association/$ref",
        {"@odata.id": f"http://testserver{API}roles({roles[0]['roleid']})"},
    )
    assert r.status_code == 204
    listed = crm.get(f"systemusers({user['systemuserid']})/systemuserroles_association").json()
    assert [x["name"] for x in listed["value"]] == ["Integration User"]
    r = crm.delete(
        f"systemusers({user['systemuserid']})/systemuserroles_association("
        f"{roles[0]['roleid']})/$ref"
    )
    assert r.status_code == 204
    assert (
        crm.get(f"systemusers({user['systemuserid']})/systemuserroles_association").json()["value"]
        == []
    )


def test_impersonation_with_mscrmcallerid(crm: CrmClient) -> None:
    person = crm.create("systemusers", {"firstname": "Sam", "lastname": "Sales"})
    pid = person["systemuserid"]
    r = crm.post(
        f"systemusers({pid})/systemuserroles_association/$ref",
        {"@odata.id": f"roles({_role_id(crm, 'Salesperson')})"},
    )
    assert r.status_code == 204
    account = crm.post(
        "accounts",
        {"name": "As Sam"},
        headers={"MSCRMCallerID": pid, "Prefer": "return=representation"},
    ).json()
    assert account["_createdby_value"] == pid
    assert account["_ownerid_value"] == pid
    # A non-administrator may not impersonate.
    sam = _user_with_roles(crm, "plain", ["Salesperson"])
    assert sam.get("accounts", headers={"MSCRMCallerID": pid}).status_code == 403


def _role_id(crm: CrmClient, name: str) -> str:
    return str(
        crm.get("roles", params={"$filter": f"name eq '{name}'"}).json()["value"][0]["roleid"]
    )


def test_whoami(crm: CrmClient) -> None:
    r = crm.get("WhoAmI")
    assert r.status_code == 200
    assert r.json()["UserId"]
    assert isinstance(crm.http, TestClient)


def test_disabled_user_is_refused(crm: CrmClient) -> None:
    other = _user_with_roles(crm, "to-disable", ["Integration User"])
    assert other.get("accounts").status_code == 200
    me = other.get("WhoAmI").json()["UserId"]
    assert crm.patch(f"systemusers({me})", {"isdisabled": True}).status_code == 204
    assert other.get("accounts").status_code == 401


def test_owner_can_be_assigned(crm: CrmClient) -> None:
    user = crm.create("systemusers", {"firstname": "Owner", "lastname": "Person"})
    team = crm.create("teams", {"name": "Sales team"})
    acc = crm.create(
        "accounts", {"name": "Owned", "ownerid@odata.bind": f"/systemusers({user['systemuserid']})"}
    )
    assert acc["_ownerid_value"] == user["systemuserid"]
    crm.patch(f"accounts({acc['accountid']})", {"ownerid@odata.bind": f"/teams({team['teamid']})"})
    annotated = crm.get(
        f"accounts({acc['accountid']})", headers={"Prefer": 'odata.include-annotations="*"'}
    ).json()
    assert annotated["_ownerid_value"] == team["teamid"]
    assert annotated["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "team"
    r = crm.patch(
        f"accounts({acc['accountid']})", {"ownerid@odata.bind": f"/accounts({acc['accountid']})"}
    )
    assert r.status_code == 400
