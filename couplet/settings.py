"""Settings objects for every process, read from arguments and environment when asked.

Nothing here reads the environment at import time: each `from_env()`-style construction
happens in the composition root (CLI) or in tests.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings shared by the reference services."""

    host: str = "127.0.0.1"
    port: int = 8101
    database_url: str = "sqlite:///.couplet/crm.db"
    admin_client_id: str | None = None
    admin_client_secret: str | None = None
    token_key: str | None = None
    token_lifetime_seconds: int = 3600
    throttle_requests: int | None = None
    throttle_window_seconds: float = 300.0
    throttle_concurrent: int | None = None
    # The identity endpoints (/{tenant}/oauth2/v2.0/token) take any tenant name unless one
    # is set; the admin client may also sign in with this certificate (PEM file).
    tenant: str | None = None
    admin_client_certificate: str | None = None


class CrmSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COUPLET_CRM_", extra="ignore")

    port: int = 8101
    database_url: str = "sqlite:///.couplet/crm.db"
    organization_name: str = "couplet CRM"
    base_currency_code: str = "USD"
    base_currency_name: str = "US Dollar"
    base_currency_symbol: str = "$"


class ErpSettings(ServiceSettings):
    """The reference ERP (Business Central API subset); env prefix `COUPLET_ERP_`."""

    model_config = SettingsConfigDict(env_prefix="COUPLET_ERP_", extra="ignore")

    port: int = 8102
    database_url: str = "sqlite:///.couplet/erp.db"
    company_name: str = "CRONUS"
    lcy_code: str = "USD"
    tax_percent: Decimal = Decimal(10)
    # Webhooks: BC waits 30 s after the first change so one notification covers several.
    webhook_delay_seconds: float = 30.0
    webhook_lifetime_days: float = 3.0
    webhook_allowed_hosts: list[str] = []


class EngineSettings(BaseSettings):
    """The engine needs only its database URL; everything else has a sensible default."""

    model_config = SettingsConfigDict(env_prefix="COUPLET_ENGINE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8100
    database_url: str = "sqlite:///.couplet/engine.db"
    secret_key: str | None = None
    # The web app's admin sign-in: set (or reset) on start when a password is given.
    admin_user: str = "admin"
    admin_password: str | None = None
    # `couplet serve engine` runs the embedded worker beside the web app unless off.
    embedded_worker: bool = True
    # A PEM file of CAs the connectors and MSAL trust instead of the system's (a private CA,
    # or the certificate `couplet serve --tls` generated).
    ca_bundle: str | None = None
