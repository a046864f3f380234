"""Signing in through the Microsoft identity platform with MSAL: a confidential client with a
client secret or a certificate, as an `httpx.Auth` (docs/protocols.md, contract details).

MSAL keeps the token cache: one token per scope, reused until five minutes before it
expires, then renewed. A 401 from the service drops the cached token and asks once more. What
the identity platform refuses becomes a `FatalError` naming its AADSTS code and a hint.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ..engine.errors import ConfigError, FatalError
from .http import TRANSIENT_STATUSES, Retrier, TransientAnswer

if TYPE_CHECKING:  # MSAL (and requests under it) load when a side signs in with it
    import msal

# Authorities MSAL knows; for any other host (the reference services) it must not ask
# login.microsoftonline.com whether the authority is genuine.
MICROSOFT_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "login.microsoftonline.us",
        "login.partner.microsoftonline.cn",
    }
)

# AADSTS code -> what to check (Microsoft Entra's error code reference).
HINTS = {
    7000215: "the client secret is wrong: use the secret's Value (not its Secret ID) "
    "and check it has not expired",
    7000222: "the client secret has expired: create a new one in the app registration",
    700016: "no application with this client id exists in the tenant: check the client id "
    "and the tenant in the authority URL",
    90002: "the tenant does not exist: check the tenant id or domain in the authority URL",
    900023: "the tenant in the authority URL is neither a tenant id nor a domain name",
    70011: "the scope is not valid: use '<resource>/.default' (Dataverse: the environment "
    "URL; Business Central: https://api.businesscentral.dynamics.com/.default)",
    500011: "the resource of the scope is not in the tenant: check the scope URL",
    700027: "the certificate is not registered: upload its public part to the app "
    "registration's Certificates & secrets",
    7000218: "the request has neither a client secret nor a certificate",
}


@dataclass(frozen=True)
class Certificate:
    """A PEM certificate with its private key, as MSAL takes it."""

    private_key: str
    thumbprint: str  # SHA-1 of the DER certificate, hex: the x5t Entra matches
    public_certificate: str


def load_certificate(pem: str) -> Certificate:
    """Reads a PEM holding the private key and the certificate (either order)."""
    data = pem.encode()
    try:
        key = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "The certificate file must hold an unencrypted PEM private key and its "
            f"PEM certificate: {exc}"
        ) from None
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Certificate(
        private_key=key_pem,
        thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
        public_certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


def token_endpoint(authority: str) -> str:
    """The v2.0 token endpoint of an Entra-style authority."""
    return f"{authority.rstrip('/')}/oauth2/v2.0/token"


@dataclass(frozen=True)
class Identity:
    """Who a connector signs in as, at which authority, for which scope."""

    authority: str
    client_id: str
    scope: str
    secret: str | None = None
    certificate: str | None = None  # PEM: private key and certificate


class MsalHttp:
    """MSAL's HTTP client (the `requests`-like get/post it calls) over an httpx client, so
    MSAL goes where the connectors go: the same CA bundle, or in-process apps in tests.

    Transient faults are retried here, below MSAL: token requests write nothing, so every
    fault may be retried, and MSAL only sees the final answer (its own throttling cache
    would otherwise replay a 503 without asking again)."""

    def __init__(self, client: httpx.Client, retrier: Retrier | None = None) -> None:
        self.client = client
        self.retrier = retrier or Retrier(service=f"the sign-in service at {client.base_url}")

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        def once() -> httpx.Response:
            response = self.client.request(method, url, **kwargs)
            if response.status_code in TRANSIENT_STATUSES:
                raise TransientAnswer(response)
            return response

        return self.retrier.send(once, method, url, repeatable=True)

    def get(self, url: str, params: Any = None, headers: Any = None, **kw: Any) -> httpx.Response:
        # MSAL's own `timeout` is left out: the client has its timeouts already.
        return self._send("GET", url, params=params, headers=headers)

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kw: Any
    ) -> httpx.Response:
        # MSAL hands over the signed client assertion as bytes; requests sends bytes form
        # values as text, httpx would send their repr.
        if isinstance(data, dict):
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return self._send("POST", url, params=params, data=data, headers=headers)

    def close(self) -> None:
        self.client.close()


class MsalAuth(httpx.Auth):
    """Bearer tokens from MSAL's confidential client for one scope."""

    def __init__(
        self, identity: Identity, http_client: httpx.Client, retrier: Retrier | None = None
    ) -> None:
        self.identity = identity
        self.http_client = http_client
        self.retrier = retrier
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _application(self) -> msal.ConfidentialClientApplication:
        # Built on first use: MSAL reads the authority's OpenID configuration right away.
        if self._app is None:
            i = self.identity
            credential: Any = i.secret
            if i.certificate:
                cert = load_certificate(i.certificate)
                credential = {"private_key": cert.private_key, "thumbprint": cert.thumbprint}
            known = urlsplit(i.authority).hostname in MICROSOFT_HOSTS
            import msal

            try:
                self._app = msal.ConfidentialClientApplication(
                    i.client_id,
                    client_credential=credential,
                    authority=i.authority,
                    http_client=MsalHttp(self.http_client, self.retrier),
                    instance_discovery=None if known else False,
                )
            except ValueError as exc:
                # MSAL rewords the refusal; the platform's own answer (an unknown tenant's
                # AADSTS90002) is in the exception it was raised from.
                refusal = _platform_error(exc.__context__)
                if refusal is not None:
                    raise FatalError(sign_in_failure(i, refusal)) from None
                raise FatalError(
                    f"Could not read the sign-in configuration of {i.authority}: {exc}"
                ) from None
        return self._app

    def token(self) -> str:
        with self._lock:
            result = self._application().acquire_token_for_client([self.identity.scope])
        if "access_token" not in result:
            raise FatalError(sign_in_failure(self.identity, result))
        return str(result["access_token"])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            # The service no longer takes the cached token (revoked, keys rolled): renew once.
            with self._lock:
                self._application().remove_tokens_for_client()
            request.headers["Authorization"] = f"Bearer {self.token()}"
            yield request


def _platform_error(exc: BaseException | None) -> dict[str, Any] | None:
    """The identity platform's error JSON inside MSAL's discovery failure, if any."""
    text = str(exc or "")
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    return body if isinstance(body, dict) and "error" in body else None


def sign_in_failure(identity: Identity, result: dict[str, Any]) -> str:
    """The identity platform's refusal as a sentence: its description (which starts with the
    AADSTS code) and what to check."""
    codes = [int(c) for c in result.get("error_codes") or [] if str(c).isdigit()]
    description = str(result.get("error_description") or result.get("error") or result)
    # Entra appends trace and correlation ids on new lines; the first line says it all.
    first = description.splitlines()[0].strip() if description.strip() else description
    if codes and not first.startswith("AADSTS"):
        first = f"AADSTS{codes[0]}: {first}"
    hints = [HINTS[c] for c in codes if c in HINTS]
    text = (
        f"Could not sign in at {identity.authority} as client '{identity.client_id}' "
        f"for scope '{identity.scope}': {first}"
    )
    return text + (f" (hint: {hints[0]})" if hints else "")
