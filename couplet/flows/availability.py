"""Item availability (docs/behaviour.md §8): the ERP's stock on the CRM's products.

The current mechanism of Business Central's "Item Availability" job: every 30 minutes the
items with item ledger activity since the last run that are coupled and not skipped are
synchronized through ITEM-PRODUCT in one job, which carries Inventory to the product's
QuantityOnHand (negative stock as 0). An item's inventory changes without the item being
modified, so ITEM-PRODUCT's own runs would not see it. The first run starts from the
ITEM-PRODUCT mapping's ERP watermark; later ones from the time the previous one started.

For on-demand questions from CRM users, `connection_row` describes the ERP's availability
endpoint and a read-only credential for the CRM's "BC Connection" entity (`nav_connection`);
the CRM calls the ERP itself, the engine is not in the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.context import Context
from ..engine.errors import SyncError
from ..engine.model import Direction, JobLog
from ..engine.roles import Role
from ..engine.runner import RunOptions, synchronize
from ..engine.transfer import reference_key
from .flow import Flow

CURSOR = "ITEM AVAILABILITY"
LEDGER = "itemLedgerEntries"
INVENTORY_FIELD: dict[str, Any] = {
    "erp": "inventory",
    "crm": "quantityonhand",
    "direction": "erp-to-crm",
    "transform": {"kind": "minimum", "value": 0},
}
CONNECTION_TABLE = "nav_connections"
CONNECTION_NAME = "Business Central"


def _since(ctx: Context) -> dt.datetime | None:
    stored = ctx.state.cursor(CURSOR)
    if stored:
        return dt.datetime.fromisoformat(stored)
    return ctx.state.watermarks(ctx.name_for(Role.ITEM_PRODUCT)).erp


def items_with_activity(
    ctx: Context, since: dt.datetime | None, until: dt.datetime | None = None
) -> list[str]:
    """Ids of the items with item ledger entries posted from `since` on, oldest first."""
    items: dict[str, None] = {}
    for page in ctx.erp.query(
        LEDGER, modified_from=since, modified_until=until, page_size=ctx.page_size
    ):
        for entry in page:
            item = reference_key(entry.values.get("itemId"))
            if item is not None:
                items[item] = None
    return list(items)


def update_availability(ctx: Context, item_ids: Sequence[str] | None = None) -> JobLog | None:
    """Pushes the inventory of the coupled, not skipped items with ledger activity since the
    last run (or of the given items) to their CRM products; None when there was none."""
    started = ctx.clock()
    scheduled = item_ids is None
    candidates = (
        items_with_activity(ctx, _since(ctx), started) if item_ids is None else list(item_ids)
    )
    mapping = ctx.name_for(Role.ITEM_PRODUCT)
    coupled = ctx.state.couplings_by_erp(mapping, candidates) if candidates else {}
    ids = tuple(i for i in candidates if i in coupled and not coupled[i].skipped)
    job = None
    if ids:
        options = RunOptions(direction=Direction.ERP_TO_CRM, force_modify=True, erp_ids=ids)
        [job] = synchronize(ctx, mapping, options)
    if scheduled:
        ctx.state.save_cursor(CURSOR, started.isoformat())
    return job


def has_activity(ctx: Context) -> bool:
    since = _since(ctx)
    page = next(iter(ctx.erp.query(LEDGER, modified_from=since, page_size=1)), [])
    # The boundary is inclusive: an entry exactly at the stored time was handled already.
    return any(since is None or entry.modified_on > since for entry in page)


def with_inventory_field(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """The mapping documents with Inventory -> QuantityOnHand on the item-product mapping
    (enabling item availability ensures it exists); None when it is there already or there
    is no mapping."""
    docs = [dict(d) for d in documents]
    for doc in docs:
        if doc.get("role") != Role.ITEM_PRODUCT.value:
            continue
        fields = [dict(f) for f in doc.get("fields", [])]
        for f in fields:
            if f.get("erp") == "inventory" and f.get("crm") == "quantityonhand":
                if f.get("enabled", True):
                    return None
                f["enabled"] = True
                break
        else:
            fields.append(dict(INVENTORY_FIELD))
        doc["fields"] = fields
        return docs
    return None


def connection_row(
    availability_url: str, token_url: str, client_id: str, secret: str, web_url: str
) -> dict[str, object]:
    """The CRM's "BC Connection" row that lets the CRM ask the ERP for availability."""
    return {
        "nav_name": CONNECTION_NAME,
        "nav_dynamicsnavurl": web_url,
        "nav_dynamicsnavodataurl": availability_url,
        "nav_tokenurl": token_url,
        "nav_dynamicsnavodatausername": client_id,
        "nav_dynamicsnavodataaccesskey": secret,
    }


def publish_connection(ctx: Context, row: Mapping[str, object]) -> str:
    """Creates or updates the CRM's BC Connection row; returns its id."""
    existing = [r for page in ctx.crm.query(CONNECTION_TABLE) for r in page]
    if existing:
        [result] = ctx.crm.update_many(CONNECTION_TABLE, [(existing[0].id, dict(row))])
        target = existing[0].id
    else:
        [result] = ctx.crm.insert_many(CONNECTION_TABLE, [dict(row)])
        target = result.row.id if result.row is not None else ""
    if not result.ok:
        raise SyncError(f"The CRM refused the BC Connection row: {result.error}")
    return target


FLOW = Flow(
    name="ITEM AVAILABILITY",
    kind="availability",
    description="Item availability - synchronize inventory to CRM products",
    enabled=lambda features: features.item_availability,
    run=update_availability,
    has_work=has_activity,
    interval_seconds=1800,
    inactivity_timeout_minutes=30,
)
