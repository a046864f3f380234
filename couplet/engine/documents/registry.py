"""Every document flow the engine knows; a new flow adds its `FLOW` here."""

from __future__ import annotations

from . import availability, order_notes, order_status, orders, quotes, statistics
from .flow import Flow

FLOWS: tuple[Flow, ...] = (
    orders.FLOW,
    order_status.FLOW,
    order_notes.FLOW,
    quotes.FLOW,
    statistics.FLOW,
    availability.FLOW,
)


def flow_of_kind(kind: str) -> Flow | None:
    return next((f for f in FLOWS if f.kind == kind), None)
