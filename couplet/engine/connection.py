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

    def validate(self) -> Connection:
        for name in ("crm_url", "erp_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"{name.replace('_', ' ').upper()} '{url}' is not an http(s) "
                    "URL, e.g. http://127.0.0.1:8101"
                )
        for name in (
            "crm_client_id",
            "crm_client_secret",
            "erp_client_id",
            "erp_client_secret",
            "erp_company",
        ):
            if not str(getattr(self, name) or "").strip():
                raise ConfigError(f"The connection needs --{name.replace('_', '-')}.")
        if self.features.ownership not in ("person", "team"):
            raise ConfigError("Ownership must be 'person' or 'team'.")
        if self.features.auto_create_sales_orders and not self.features.sales_order_integration:
            raise ConfigError(
                "Automatic creation of sales orders needs sales order "
                "integration (--sales-order-integration)."
            )
        return replace(self, crm_url=self.crm_url.rstrip("/"), erp_url=self.erp_url.rstrip("/"))

    def redacted(self) -> dict[str, object]:
        return {
            "crm_url": self.crm_url,
            "crm_client_id": self.crm_client_id,
            "crm_client_secret": "********",
            "erp_url": self.erp_url,
            "erp_company": self.erp_company,
            "erp_client_id": self.erp_client_id,
            "erp_client_secret": "********",
            "crm_integration_user": self.crm_integration_user,
            "enabled": self.enabled,
            "features": self.features.__dict__.copy(),
        }


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
        missing = [k for k in SETTINGS if k not in given and k != "erp_company"]
        if missing:
            raise ConfigError(
                "The connection is not set up yet and "
                + ", ".join("--" + k.replace("_", "-") for k in missing)
                + (" is" if len(missing) == 1 else " are")
                + " missing."
            )
        features = replace(Features(), **flags)  # type: ignore[arg-type]
        return Connection(**given, features=features).validate()  # type: ignore[arg-type]
    features = replace(stored.features, **flags)  # type: ignore[arg-type]
    return replace(stored, **given, features=features).validate()  # type: ignore[arg-type]
