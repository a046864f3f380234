"""The item availability actions: push inventory to CRM products now, publish the ERP's
availability endpoint to the CRM."""

from __future__ import annotations

from collections.abc import Sequence

from ..connectors.identity import token_endpoint
from ..engine.errors import ConfigError
from ..engine.model import JobLog
from ..flows import availability
from .context import connection, context
from .parts import Parts


def update(parts: Parts, erp_ids: Sequence[str] | None = None) -> JobLog | None:
    """Pushes the inventory of items with ledger activity since the last run, or of the
    given items, to their coupled CRM products (None: nothing to push)."""
    return availability.update_availability(context(parts), list(erp_ids) if erp_ids else None)


def publish(parts: Parts, client_id: str, secret: str) -> str:
    """Stores the ERP's item availability endpoint and a read-only ERP credential in the
    CRM's BC Connection entity, so the CRM can answer availability questions itself."""
    stored = connection(parts)
    if not stored.features.item_availability:
        raise ConfigError(
            "Item availability is not enabled: run `couplet setup --item-availability`."
        )
    row = availability.connection_row(
        availability_url=parts.systems.erp(stored).url("itemAvailability"),
        token_url=token_endpoint(stored.erp_authority)
        if stored.erp_authority
        else f"{stored.erp_url}/oauth2/token",
        client_id=client_id,
        secret=secret,
        web_url=stored.erp_url,
    )
    return availability.publish_connection(context(parts), row)
