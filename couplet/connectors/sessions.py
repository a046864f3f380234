"""HTTP sessions to the CRM and the ERP, signed in with OAuth client credentials: at the
Microsoft identity platform through MSAL when a side has an authority, else at the
service's own token endpoint (docs/protocols.md, contract details). Built by the
composition root."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from ..engine.connection import Connection
from ..engine.errors import ConfigError
from .http import ClientCredentials, HttpSession, OAuthClientCredentials, Retrier, RetryPolicy
from .identity import Identity, MsalAuth

ClientFactory = Callable[[str], httpx.Client]


def default_client(base_url: str, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """`verify`: True for the system's CAs, or a context trusting the CA bundle file
    (COUPLET_ENGINE_CA_BUNDLE)."""
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(60.0, connect=10.0), verify=verify)


def trusted(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """What the connectors and MSAL verify servers against: the system's CAs, or the
    given bundle's."""
    if not ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"COUPLET_ENGINE_CA_BUNDLE={ca_bundle} is not a CA file: {exc}") from None


class Sessions:
    """HTTP sessions signed in with OAuth client credentials, all closed together: at the
    Microsoft identity platform through MSAL when the side has an authority, else at the
    service's own `{url}/oauth2/token` (docs/protocols.md, contract details)."""

    def __init__(
        self,
        client_factory: ClientFactory = default_client,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_factory = client_factory
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self._clients: list[httpx.Client] = []
        # One MSAL client (and so one token cache) per identity, shared by the sessions.
        self._identities: dict[Identity, MsalAuth] = {}

    def _client(self, base_url: str) -> httpx.Client:
        client = self.client_factory(base_url)
        self._clients.append(client)
        return client

    def _auth(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        scope: str,
        authority: str | None,
        certificate: str | None,
    ) -> httpx.Auth:
        if authority is None:
            return OAuthClientCredentials(
                ClientCredentials(f"{base_url}/oauth2/token", client_id, secret, scope)
            )
        identity = Identity(authority, client_id, scope, secret or None, certificate)
        if identity not in self._identities:
            origin = urlsplit(authority)
            http = self._client(f"{origin.scheme}://{origin.netloc}")
            retrier = self._retrier(f"the sign-in service at {authority}")
            self._identities[identity] = MsalAuth(identity, http, retrier)
        return self._identities[identity]

    def _retrier(self, service: str) -> Retrier:
        return Retrier(self.policy, service=service, sleep=self.sleep, clock=self.clock)

    def session(self, base_url: str, auth: httpx.Auth, service: str) -> HttpSession:
        client = self._client(base_url)
        client.auth = auth
        return HttpSession(client, retrier=self._retrier(service))

    def crm(self, c: Connection) -> HttpSession:
        return self._side(c, "crm", c.crm_sign_in_scope(), "the CRM")

    def erp(self, c: Connection) -> HttpSession:
        return self._side(c, "erp", c.erp_sign_in_scope(), "the ERP")

    def _side(self, c: Connection, side: str, scope: str, name: str) -> HttpSession:
        """The session to one side, from the connection's `<side>_…` fields."""
        url: str = getattr(c, f"{side}_url")
        auth = self._auth(
            url,
            getattr(c, f"{side}_client_id"),
            getattr(c, f"{side}_client_secret"),
            scope,
            getattr(c, f"{side}_authority"),
            getattr(c, f"{side}_certificate"),
        )
        return self.session(url, auth, f"{name} at {url}")

    def close(self) -> None:
        for client in self._clients:
            client.close()
