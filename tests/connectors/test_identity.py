"""Sign-in through MSAL against the reference services' identity endpoints, over HTTP: a
secret or a certificate, one token per scope kept in MSAL's cache and renewed before expiry,
and the identity platform's refusals shown with their AADSTS code and a hint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from fastapi.testclient import TestClient

from couplet.apps.crm.app import create_app as create_crm
from couplet.apps.erp.app import create_app as create_erp
from couplet.connectors.sessions import Sessions
from couplet.engine.connection import Connection
from couplet.engine.errors import FatalError
from couplet.settings import CrmSettings, ErpSettings
from tests.conftest import DatabaseFactory

CRM, ERP = "https://crm.test", "https://erp.test"
WHO_AM_I = f"{CRM}/api/data/v9.2/WhoAmI"
COMPANIES = f"{ERP}/api/v2.0/companies"


def certificate_pem(name: str) -> str:
    """A self-signed certificate with its RSA key, in one PEM (what --crm-certificate reads)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (key_pem + cert.public_bytes(serialization.Encoding.PEM)).decode()


@dataclass
class Services:
    apps: dict[str, FastAPI]
    # Every request the engine's clients sent, as "METHOD path".
    sent: list[str]
    connection: Connection

    def sessions(self) -> Sessions:
        def client(base_url: str) -> httpx.Client:
            http = TestClient(self.apps[base_url], base_url=base_url)
            http.event_hooks = {"request": [self._record]}
            return http

        return Sessions(client)

    def _record(self, request: httpx.Request) -> None:
        self.sent.append(f"{request.method} {request.url.path}")

    def token_requests(self) -> int:
        return sum(1 for s in self.sent if s.endswith("/oauth2/v2.0/token"))


def _services(databases: DatabaseFactory, lifetime: int = 3600, **extra: str) -> Services:
    crm_url, erp_url = databases(["crm", "erp"])
    common = {"admin_client_id": "engine-app", "admin_client_secret": "engine-pw"}
    common |= {"token_lifetime_seconds": lifetime, **extra}  # type: ignore[dict-item]
    apps = {
        CRM: create_crm(CrmSettings(database_url=crm_url, **common)),  # type: ignore[arg-type]
        ERP: create_erp(ErpSettings(database_url=erp_url, **common)),  # type: ignore[arg-type]
    }
    connection = Connection(
        crm_url=CRM,
        crm_client_id="engine-app",
        crm_client_secret="engine-pw",
        erp_url=ERP,
        erp_client_id="engine-app",
        erp_client_secret="engine-pw",
        crm_authority=f"{CRM}/contoso.onmicrosoft.com",
        erp_authority=f"{ERP}/contoso.onmicrosoft.com",
    ).validate()
    return Services(apps, [], connection)


@pytest.fixture
def services(databases: DatabaseFactory) -> Iterator[Services]:
    made = _services(databases)
    yield made
    for app in made.apps.values():
        app.state.engine.dispose()


def test_msal_signs_in_to_both_services_with_a_secret(services: Services) -> None:
    sessions = services.sessions()
    try:
        who = sessions.crm(services.connection).request("GET", WHO_AM_I)
        companies = sessions.erp(services.connection).request("GET", COMPANIES)
    finally:
        sessions.close()
    assert who.status_code == 200 and who.json()["UserId"]
    assert companies.status_code == 200 and companies.json()["value"][0]["name"] == "CRONUS"
    # MSAL read the authority's configuration, then asked its v2.0 token endpoint (the ERP
    # for Business Central's own scope); the old {url}/oauth2/token was not used.
    assert "GET /contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration" in services.sent
    assert services.token_requests() == 2
    assert "POST /oauth2/token" not in services.sent


def test_one_token_per_scope_is_kept_and_reused(services: Services) -> None:
    sessions = services.sessions()
    try:
        for _ in range(3):
            assert sessions.crm(services.connection).request("GET", WHO_AM_I).status_code == 200
        assert services.token_requests() == 1
        # Another scope of the same client and authority gets a token of its own.
        other = replace(services.connection, crm_scope=f"{CRM}//.default")
        assert sessions.crm(other).request("GET", WHO_AM_I).status_code == 200
        assert sessions.crm(other).request("GET", WHO_AM_I).status_code == 200
        assert services.token_requests() == 2
    finally:
        sessions.close()


def test_a_token_near_its_expiry_is_renewed_before_use(databases: DatabaseFactory) -> None:
    # Tokens living two minutes are inside MSAL's five-minute renewal margin from the start.
    made = _services(databases, lifetime=120)
    sessions = made.sessions()
    try:
        for _ in range(3):
            assert sessions.crm(made.connection).request("GET", WHO_AM_I).status_code == 200
    finally:
        sessions.close()
        for app in made.apps.values():
            app.state.engine.dispose()
    assert made.token_requests() == 3


def test_msal_signs_in_with_a_registered_certificate(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    pem = certificate_pem("couplet engine")
    (tmp_path / "engine.pem").write_text(pem)
    made = _services(databases, admin_client_certificate=str(tmp_path / "engine.pem"))
    with_cert = replace(made.connection, crm_client_secret="", crm_certificate=pem).validate()
    unknown = replace(with_cert, crm_certificate=certificate_pem("someone else"))
    sessions = made.sessions()
    try:
        who = sessions.crm(with_cert).request("GET", WHO_AM_I)
        assert who.status_code == 200
        with pytest.raises(FatalError) as refused:
            sessions.crm(unknown).request("GET", WHO_AM_I)
    finally:
        sessions.close()
        for app in made.apps.values():
            app.state.engine.dispose()
    assert "AADSTS700027" in str(refused.value)
    assert "upload its public part to the app registration" in str(refused.value)


@pytest.mark.parametrize(
    ("change", "code", "hint"),
    [
        ({"crm_client_secret": "not-the-secret"}, "AADSTS7000215", "the client secret is wrong"),
        ({"crm_client_id": "no-such-app"}, "AADSTS700016", "check the client id"),
        ({"crm_scope": f"{CRM}/user_impersonation"}, "AADSTS70011", "the scope is not valid"),
        ({"crm_scope": "https://other.crm.test/.default"}, "AADSTS500011", "check the scope"),
        ({"crm_authority": f"{CRM}/fabrikam.onmicrosoft.com"}, "AADSTS90002", "check the tenant"),
    ],
    ids=["wrong secret", "unknown client", "wrong scope", "other resource", "wrong tenant"],
)
def test_refusals_show_the_aadsts_code_and_a_hint(
    databases: DatabaseFactory,
    change: dict[str, str],
    code: str,
    hint: str,
) -> None:
    made = _services(databases, tenant="contoso.onmicrosoft.com")
    sessions = made.sessions()
    try:
        with pytest.raises(FatalError) as refused:
            sessions.crm(replace(made.connection, **change)).request("GET", WHO_AM_I)  # type: ignore[arg-type]
    finally:
        sessions.close()
        for app in made.apps.values():
            app.state.engine.dispose()
    message = str(refused.value)
    assert code in message and hint in message, message
    assert "not-the-secret" not in message


def test_the_identity_endpoints_answer_like_entra_for_any_tenant(services: Services) -> None:
    http = TestClient(services.apps[ERP], base_url=ERP)
    config = http.get("/3f1c2d4e-0000-4000-8000-000000000001/v2.0/.well-known/openid-configuration")
    assert config.status_code == 200
    body = config.json()
    root = f"{ERP}/3f1c2d4e-0000-4000-8000-000000000001"
    assert body["issuer"] == f"{root}/v2.0"
    assert body["token_endpoint"] == f"{root}/oauth2/v2.0/token"
    assert body["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
    assert http.get(body["jwks_uri"]).json() == {"keys": []}
    form = {
        "grant_type": "client_credentials",
        "client_id": "engine-app",
        "client_secret": "engine-pw",
        "scope": "https://api.businesscentral.dynamics.com/.default",
    }
    granted = http.post(body["token_endpoint"], data=form)
    assert granted.status_code == 200 and granted.json()["token_type"] == "Bearer"
    # The token works on the API as the old endpoint's does.
    token = granted.json()["access_token"]
    api = http.get("/api/v2.0/companies", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    refused = http.post(body["token_endpoint"], data={**form, "client_secret": "wrong"})
    assert refused.status_code == 401
    error = refused.json()
    assert error["error"] == "invalid_client" and error["error_codes"] == [7000215]
    assert error["error_description"].startswith("AADSTS7000215: Invalid client secret")
    assert {"trace_id", "correlation_id", "timestamp"} <= set(error)
    no_scope = http.post(
        body["token_endpoint"], data={k: v for k, v in form.items() if k != "scope"}
    )
    assert no_scope.status_code == 400 and no_scope.json()["error_codes"] == [900144]
