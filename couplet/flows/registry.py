"""Every document flow the engine knows; a new flow adds its `FLOW` here."""

from __future__ import annotations

from . import availability, statistics
from .flow import Flow
from .orders import creation as orders
from .orders import notes as order_notes
from .orders import status as order_status
from .quotes import processing as quotes

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
