"""Mapping documents stored before roles existed get the role (and full-sync policy) of the
default mapping they were made from, recognised by its name: from here on the flows find
mappings by role, so a catalogue stored earlier keeps working (and may then be renamed).

The table below is the default catalogue as it was when roles were introduced; it is frozen
here on purpose (a migration must not change when the defaults do later).

Revision ID: 0005
Revises: 0004
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# default mapping name -> (role, full-sync policy or None for the default "by-counts")
ROLES: dict[str, tuple[str, str | None]] = {
    "SALESPEOPLE": ("salesperson", "copy-all"),
    "CURRENCY": ("currency", "match-if-several-crm-rows"),
    "PAYMENT TERMS": ("payment-terms", None),
    "SHIPMENT METHOD": ("shipment-method", None),
    "SHIPPING AGENT": ("shipping-agent", None),
    "CUSTOMER": ("customer", None),
    "CONTACT": ("contact", None),
    "ITEM-PRODUCT": ("item-product", None),
    "RESOURCE-PRODUCT": ("resource-product", None),
    "UNIT GROUP": ("unit-group", None),
    "ITEM UOM": ("item-unit-of-measure", "match-if-erp-has-rows"),
    "RESOURCE UOM": ("resource-unit-of-measure", "match-if-erp-has-rows"),
    "PLHEADER-PRICE": ("price-list", None),
    "PLLINE-PRODPRICE": ("price-list-line", None),
    "OPPORTUNITY": ("opportunity", None),
    "SALESORDER-ORDER": ("sales-order", "skip"),
    "POSTEDSALESINV-INV": ("posted-invoice", None),
    "POSTEDSALESLINE-INV": ("posted-invoice-line", None),
}

mapping = sa.table(
    "mapping",
    sa.column("name", sa.String),
    sa.column("document", sa.JSON),
)


def _with_role(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document with its default's role, None when it needs none or has one."""
    known = ROLES.get(str(document.get("name")))
    if known is None or "role" in document:
        return None
    role, policy = known
    updated = {**document, "role": role}
    if policy is not None and "full_sync" not in document:
        updated["full_sync"] = policy
    return updated


def upgrade() -> None:
    conn = op.get_bind()
    for name, document in conn.execute(sa.select(mapping.c.name, mapping.c.document)).all():
        updated = _with_role(dict(document))
        if updated is not None:
            conn.execute(sa.update(mapping).where(mapping.c.name == name).values(document=updated))


def downgrade() -> None:
    conn = op.get_bind()
    for name, document in conn.execute(sa.select(mapping.c.name, mapping.c.document)).all():
        if "role" in document or "full_sync" in document:
            kept = {k: v for k, v in dict(document).items() if k not in ("role", "full_sync")}
            conn.execute(sa.update(mapping).where(mapping.c.name == name).values(document=kept))
