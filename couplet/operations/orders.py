"""The sales order actions: list submitted CRM orders, create them in the ERP, run the
status and notes jobs now."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.model import JobLog
from ..flows.builders.lines import sales_setup
from ..flows.orders.creation import OrderResult, create_orders, submitted_listing, submitted_orders
from ..flows.orders.notes import run_notes
from ..flows.orders.status import run_status
from .context import context
from .ids import record_ids
from .parts import Parts


def submitted(parts: Parts) -> list[dict[str, object]]:
    """CRM orders submitted to the back office and not yet created in the ERP."""
    return submitted_listing(context(parts))


def create(parts: Parts, crm_ids: Sequence[str] | None = None) -> tuple[JobLog, list[OrderResult]]:
    """Creates ERP orders for these CRM orders, or for every submitted one (None)."""
    ctx = context(parts)
    ids = (
        record_ids(crm_ids, "CRM order")
        if crm_ids is not None
        else [r.id for r in submitted_orders(ctx)]
    )
    return create_orders(ctx, ids, sales_setup(ctx))


def update_status(parts: Parts) -> list[JobLog]:
    """The order status job (timeline posts, Invoiced) and the notes job, run now."""
    ctx = context(parts)
    return [run_status(ctx), run_notes(ctx)]
