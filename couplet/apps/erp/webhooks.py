"""Webhook change capture: which changes a subscription may hear about.

Every committed change to a resource Business Central offers webhooks for (docs/protocols.md
§B8) is written to an outbox table in the same transaction, so a rolled-back change is
never notified. A change to a document line counts as an update of its header; contacts
and customer payments are not offered, as in BC.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.model import EntityDef, Model
from .._common.records import Tx, next_version
from .._common.types import UTCDateTime

SUPPORTED = {
    "accounts",
    "companyInformation",
    "currencies",
    "customerPaymentJournals",
    "customers",
    "items",
    "paymentTerms",
    "salesInvoices",
    "salesOrders",
    "salesQuotes",
    "shipmentMethods",
    "unitsOfMeasure",
}
_LINE_HEADERS = {
    "salesOrderLine": "salesOrders",
    "salesQuoteLine": "salesQuotes",
    "salesInvoiceLine": "salesInvoices",
}
_SCRATCH = "webhook_changes"


def add_outbox(model: Model) -> sa.Table:
    return sa.Table(
        "sys_webhook_change",
        model.metadata,
        # Numbered from the database-wide row version, which is handed out in commit order:
        # the notifier never passes a change that commits later with a lower number.
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("company_id", sa.String(36), nullable=False),
        sa.Column("entity_set", sa.String(100), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("change_type", sa.String(20), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )


def outbox(model: Model) -> sa.Table:
    return model.metadata.tables["sys_webhook_change"]


def record_change(
    tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
) -> None:
    record = row or old or {}
    company = record.get("companyId")
    if not company:
        return
    if entity.entity_set in SUPPORTED:
        kind = "created" if old is None else "deleted" if row is None else "updated"
        tx.scratch.setdefault(_SCRATCH, []).append((company, entity.entity_set, record["id"], kind))
    elif entity.name in _LINE_HEADERS and record.get("documentId"):
        tx.scratch.setdefault(_SCRATCH, []).append(
            (company, _LINE_HEADERS[entity.name], record["documentId"], "updated")
        )


def merge_kind(first: str | None, then: str) -> str:
    """One change type for several changes of a record: created-then-updated is still
    "created", anything ending in a delete is "deleted"."""
    if first is None or first == "updated" or then == "deleted":
        return then
    return first


def flush(tx: Tx) -> bool:
    """Writes the transaction's changes to the outbox; whether it wrote any."""
    changes: list[tuple[str, str, str, str]] = tx.scratch.pop(_SCRATCH, [])
    if not changes:
        return False
    subscriptions = tx.model.table("subscription")
    if tx.conn.execute(sa.select(subscriptions.c.id).limit(1)).first() is None:
        return False  # nobody listens: keep no outbox
    seen: dict[tuple[str, str, str], str] = {}
    for company, entity_set, key, kind in changes:
        seen[(company, entity_set, key)] = merge_kind(seen.get((company, entity_set, key)), kind)
    rows = [
        {
            "seq": next_version(tx.conn, tx.model),
            "company_id": c,
            "entity_set": s,
            "record_id": k,
            "change_type": kind,
            "changed_at": tx.now,
        }
        for (c, s, k), kind in seen.items()
    ]
    tx.conn.execute(sa.insert(outbox(tx.model)), rows)
    return True
