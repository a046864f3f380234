"""The reference services as their own Microsoft identity platform (docs/protocols.md,
contract details): `GET /{tenant}/v2.0/.well-known/openid-configuration` and
`POST /{tenant}/oauth2/v2.0/token`, the client credentials grant with a client secret or a
certificate's client assertion.

MSAL reads the configuration, then asks the token endpoint; refusals carry Entra's error JSON
(`error`, `error_description` starting with the AADSTS code, `error_codes`, trace ids), so a
client shows what the real platform would say. Any tenant name is taken unless the service is
configured with one. The token issued is the service's own bearer token (`TokenIssuer`).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .auth import TokenIssuer, client_row, verify_secret
from .database import Transactions
from .model import Model

# Which scopes a service accepts, given its base URL as the request reached it.
Resources = Callable[[str], list[str]]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A tenant is a GUID or a domain-like name (contoso, contoso.onmicrosoft.com).
TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$")


class EntraError(Exception):
    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description

    def body(self, now: dt.datetime) -> dict[str, Any]:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description}\r\n"
            f"Trace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }


def register_certificate(conn: sa.Connection, model: Model, client_id: str, pem: str) -> None:
    """Registers a certificate (its public part) for a client, as an app registration's
    Certificates & secrets holds it; the client may then sign in with a client assertion."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    table, name = model.settings, f"certificate:{client_id}"
    value = cert.public_bytes(serialization.Encoding.PEM).decode()
    conn.execute(sa.delete(table).where(table.c.name == name))
    conn.execute(sa.insert(table).values(name=name, value=value))


class IdentityProvider:
    def __init__(
        self,
        model: Model,
        transactions: Transactions,
        issuer: TokenIssuer,
        resources: Resources,
        tenant: str | None,
    ) -> None:
        self.model = model
        self.transactions = transactions
        self.issuer = issuer
        self.resources = resources
        self.tenant = tenant

    def check_tenant(self, tenant: str) -> None:
        if not TENANT.match(tenant):
            raise EntraError(
                400,
                "invalid_tenant",
                900023,
                f"Specified tenant identifier '{tenant}' is neither a valid DNS name, "
                "nor a valid external domain.",
            )
        if self.tenant and tenant.lower() != self.tenant.lower():
            raise EntraError(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud.",
            )

    def configuration(self, base: str, tenant: str) -> dict[str, Any]:
        self.check_tenant(tenant)
        root = f"{base}/{tenant}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            # The services sign their tokens with a shared key: nothing to publish as JWKS.
            "id_token_signing_alg_values_supported": ["HS256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "appid", "tid"],
            "tenant_region_scope": None,
            "cloud_instance_name": "couplet.local",
        }

    def token(self, base: str, tenant: str, form: dict[str, str]) -> dict[str, object]:
        self.check_tenant(tenant)
        if form.get("grant_type") != "client_credentials":
            raise EntraError(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type "
                f"'{form.get('grant_type', '')}'; only client_credentials is served.",
            )
        self._check_scope(base, tenant, form.get("scope", ""))
        client_id = form.get("client_id", "")
        with self.transactions.begin() as conn:
            row = client_row(conn, self.model, client_id)
            if row is None:
                raise EntraError(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with identifier '{client_id}' was not found in the "
                    f"directory '{tenant}'. This can happen if the application has not been "
                    "installed by the administrator of the tenant or consented to by any "
                    "user in the tenant. You may have sent your authentication request to "
                    "the wrong tenant.",
                )
            if form.get("client_assertion_type") == JWT_BEARER:
                self._check_assertion(conn, client_id, form.get("client_assertion", ""), base)
            elif "client_secret" in form:
                if not verify_secret(form["client_secret"], row.secret_hash):
                    raise EntraError(
                        401,
                        "invalid_client",
                        7000215,
                        "Invalid client secret provided. Ensure the secret being sent in "
                        "the request is the client secret value, not the client secret ID, "
                        f"for a secret added to app '{client_id}'.",
                    )
            else:
                raise EntraError(
                    401,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: "
                    "'client_assertion' or 'client_secret'.",
                )
            granted = self.issuer.grant(str(row.principal_id), client_id)
        return {**granted, "ext_expires_in": granted["expires_in"]}

    def _check_scope(self, base: str, tenant: str, scope: str) -> None:
        if not scope:
            raise EntraError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )
        if not scope.endswith("/.default") or " " in scope.strip():
            raise EntraError(
                400,
                "invalid_scope",
                70011,
                "The provided request must include a 'scope' input parameter. The provided "
                f"value for the input parameter 'scope' is not valid. The scope {scope} is "
                "not valid. Client credential flows must have a scope value with /.default "
                "suffixed to the resource identifier (application ID URI).",
            )
        resource = scope[: -len("/.default")].rstrip("/").lower()
        if resource not in {r.rstrip("/").lower() for r in self.resources(base)}:
            raise EntraError(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {scope[: -len('/.default')]} was not found "
                f"in the tenant named {tenant}. This can happen if the application has not "
                "been installed by the administrator of the tenant or consented to by any "
                "user in the tenant. You might have sent your authentication request to the "
                "wrong tenant.",
            )

    def _check_assertion(
        self, conn: sa.Connection, client_id: str, assertion: str, base: str
    ) -> None:
        table = self.model.settings
        pem = conn.execute(
            sa.select(table.c.value).where(table.c.name == f"certificate:{client_id}")
        ).scalar()
        refused = EntraError(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation, or the certificate used to sign "
            f"it is not registered on application '{client_id}'.",
        )
        if not pem:
            raise refused
        cert = x509.load_pem_x509_certificate(str(pem).encode())
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                cert.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.InvalidTokenError:
            raise refused from None
        if not _names(header, cert):
            raise refused
        # The audience is the token endpoint the assertion was made for.
        audience = claims.get("aud")
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise refused
        if not (isinstance(audience, str) and audience.startswith(base)):
            raise EntraError(
                401,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range or audience.",
            )
        if int(claims.get("exp", 0)) <= int(self.issuer.clock().timestamp()):
            raise EntraError(
                401,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            )


def _names(header: dict[str, Any], cert: x509.Certificate) -> bool:
    """Whether the assertion's header names this certificate (x5t: SHA-1, x5t#S256)."""
    sha1 = _b64(cert.fingerprint(hashes.SHA1()))  # x5t is SHA-1 by definition
    sha256 = _b64(cert.fingerprint(hashes.SHA256()))
    # Base64url with or without its padding: MSAL keeps it, RFC 7515 drops it.
    return str(header.get("x5t", "")).rstrip("=") == sha1 or (
        str(header.get("x5t#S256", "")).rstrip("=") == sha256
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mount_identity(app: FastAPI, provider: IdentityProvider) -> None:
    """The identity platform's two endpoints MSAL reads, for any tenant path segment."""

    def reply(work: Callable[[], dict[str, Any]]) -> JSONResponse:
        try:
            return JSONResponse(work())
        except EntraError as err:
            return JSONResponse(err.body(provider.issuer.clock()), status_code=err.status)

    @app.get("/{tenant}/v2.0/.well-known/openid-configuration", tags=["auth"])
    def configuration(tenant: str, request: HttpRequest) -> JSONResponse:
        return reply(lambda: provider.configuration(_base(request), tenant))

    @app.get("/{tenant}/discovery/v2.0/keys", tags=["auth"])
    def keys(tenant: str) -> JSONResponse:
        def work() -> dict[str, Any]:
            provider.check_tenant(tenant)
            return {"keys": []}

        return reply(work)

    @app.post("/{tenant}/oauth2/v2.0/token", tags=["auth"])
    async def token(tenant: str, request: HttpRequest) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        base = _base(request)
        return await run_in_threadpool(reply, lambda: provider.token(base, tenant, form))


def _base(request: HttpRequest) -> str:
    """The service's base URL as this request reached it (scheme, host, port)."""
    return str(request.base_url).rstrip("/")
