"""The connection between one CRM and one ERP, as an administrator sets it up."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .errors import ConfigError


@dataclass(frozen=True)
class Features:
    """Switches for the lead-to-cash flows and the defaults of the mapping catalogue."""

    sales_order_integration: bool = False
    auto_create_sales_orders: bool = False
    auto_process_quotes: bool = False
    item_availability: bool = False
    ownership: str = "person"  # person | team: person ownership maps salespeople to owners
    unit_group_mode: bool = True


@dataclass(frozen=True)
class Connection:
    """Where the two systems are and how to sign in to them. Secrets are kept encrypted by
    the store and never printed: `redacted()` is what may be shown or logged."""

    crm_url: str
    crm_client_id: str
    crm_client_secret: str
    erp_url: str
    erp_client_id: str
    erp_client_secret: str
    erp_company: str = "CRONUS"
    crm_integration_user: str | None = None
    enabled: bool = False
    features: Features = field(default_factory=Features)
    # Sign-in through the Microsoft identity platform (MSAL): the authority, e.g.
    # https://login.microsoftonline.com/<tenant>; None signs in at the service's own
    # {url}/oauth2/token (the reference services over plain HTTP).
    crm_authority: str | None = None
    crm_scope: str | None = None  # default {crm_url}/.default
    crm_certificate: str | None = None  # PEM private key + certificate, kept encrypted
    erp_authority: str | None = None
    erp_scope: str | None = None  # default https://api.businesscentral.dynamics.com/.default
    erp_certificate: str | None = None

    def validate(self) -> Connection:
        for name in ("crm_url", "erp_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"{name.replace('_', ' ').upper()} '{url}' is not an http(s) "
                    "URL, e.g. http://127.0.0.1:8101"
                )
        for name in ("crm_authority", "erp_authority"):
            url = getattr(self, name)
            parts = urlsplit(url or "")
            # MSAL takes only https authorities with a tenant in the path.
            if url and (parts.scheme != "https" or not parts.netloc or len(parts.path) < 2):
                raise ConfigError(
                    f"--{name.replace('_', '-')} '{url}' is not an https URL naming the "
                    "tenant, e.g. https://login.microsoftonline.com/contoso.onmicrosoft.com"
                )
        for name in ("crm_client_id", "erp_client_id", "erp_company"):
            if not str(getattr(self, name) or "").strip():
                raise ConfigError(f"The connection needs --{name.replace('_', '-')}.")
        for side in ("crm", "erp"):
            if getattr(self, f"{side}_certificate") and not getattr(self, f"{side}_authority"):
                raise ConfigError(
                    f"--{side}-certificate signs in through the Microsoft identity platform "
                    f"and needs --{side}-authority."
                )
            if not (
                str(getattr(self, f"{side}_client_secret") or "").strip()
                or getattr(self, f"{side}_certificate")
            ):
                raise ConfigError(
                    f"The connection needs --{side}-client-secret (or --{side}-certificate)."
                )
        if self.features.ownership not in ("person", "team"):
            raise ConfigError("Ownership must be 'person' or 'team'.")
        if self.features.auto_create_sales_orders and not self.features.sales_order_integration:
            raise ConfigError(
                "Automatic creation of sales orders needs sales order "
                "integration (--sales-order-integration)."
            )
        return replace(
            self,
            crm_url=self.crm_url.rstrip("/"),
            erp_url=self.erp_url.rstrip("/"),
            crm_authority=self.crm_authority.rstrip("/") if self.crm_authority else None,
            erp_authority=self.erp_authority.rstrip("/") if self.erp_authority else None,
        )

    def crm_sign_in_scope(self) -> str:
        return self.crm_scope or f"{self.crm_url}/.default"

    def erp_sign_in_scope(self) -> str:
        # Business Central online has one resource for every tenant and environment; the
        # service's own URL is the scope only for the reference ERP's own token endpoint.
        if self.erp_scope:
            return self.erp_scope
        return BUSINESS_CENTRAL_SCOPE if self.erp_authority else f"{self.erp_url}/.default"

    def redacted(self) -> dict[str, object]:
        return {
            "crm_url": self.crm_url,
            "crm_client_id": self.crm_client_id,
            "crm_client_secret": MASK if self.crm_client_secret else None,
            "crm_authority": self.crm_authority,
            "crm_scope": self.crm_sign_in_scope(),
            "crm_certificate": MASK if self.crm_certificate else None,
            "erp_url": self.erp_url,
            "erp_company": self.erp_company,
            "erp_client_id": self.erp_client_id,
            "erp_client_secret": MASK if self.erp_client_secret else None,
            "erp_authority": self.erp_authority,
            "erp_scope": self.erp_sign_in_scope(),
            "erp_certificate": MASK if self.erp_certificate else None,
            "crm_integration_user": self.crm_integration_user,
            "enabled": self.enabled,
            "features": self.features.__dict__.copy(),
        }


MASK = "********"
BUSINESS_CENTRAL_SCOPE = "https://api.businesscentral.dynamics.com/.default"

# What a new connection needs (a secret or a certificate for each side: `validate`).
SETTINGS = (
    "crm_url",
    "crm_client_id",
    "crm_client_secret",
    "erp_url",
    "erp_client_id",
    "erp_client_secret",
    "erp_company",
)


def merged(
    stored: Connection | None,
    values: dict[str, str | None],
    switches: dict[str, bool | None],
) -> Connection:
    """The stored connection with the given values and feature switches changed (None and
    blank mean "keep": a form never shows secrets, so leaving one blank keeps it). Without a
    stored connection every setting but the company is needed; the result is validated."""
    given = {k: v for k, v in values.items() if v is not None and str(v).strip()}
    flags = {k: v for k, v in switches.items() if v is not None}
    if flags.get("sales_order_integration") is False:
        # Automatic creation goes with it, as Business Central switches it off too.
        flags.setdefault("auto_create_sales_orders", False)
    if stored is None:
        # A certificate stands in for the side's secret.
        present = set(given) | {
            k.replace("certificate", "client_secret") for k in given if k.endswith("_certificate")
        }
        missing = [k for k in SETTINGS if k not in present and k != "erp_company"]
        if missing:
            raise ConfigError(
                "The connection is not set up yet and "
                + ", ".join("--" + k.replace("_", "-") for k in missing)
                + (" is" if len(missing) == 1 else " are")
                + " missing."
            )
        features = replace(Features(), **flags)  # type: ignore[arg-type]
        # A side signing in with a certificate has no secret.
        secrets = {"crm_client_secret": "", "erp_client_secret": ""}
        return Connection(**{**secrets, **given}, features=features).validate()  # type: ignore[arg-type]
    features = replace(stored.features, **flags)  # type: ignore[arg-type]
    return replace(stored, **given, features=features).validate()  # type: ignore[arg-type]
