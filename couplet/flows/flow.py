"""A document flow as the scheduler sees it: a recurring job that is not a table mapping.

Each flow module (orders, quotes, invoices, statistics, availability, …) describes itself
with one `Flow`; the composition root creates a job queue entry for every flow the
connection's features switch on, runs it when due and wakes it when `has_work` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..engine.connection import Features
from ..engine.context import Context
from ..engine.model import JobLog


@dataclass(frozen=True)
class Flow:
    name: str  # the job queue entry's name, e.g. "AUTO CREATE SALES ORDERS"
    kind: str  # the entry's kind, unique per flow
    description: str
    enabled: Callable[[Features], bool]
    # One run; None when there was nothing to do (the job then rests, see inactivity).
    run: Callable[[Context], JobLog | None]
    # Cheap look whether a run would do something, so a resting job can be woken.
    has_work: Callable[[Context], bool]
    interval_seconds: int = 1800
    inactivity_timeout_minutes: int = 30
    max_attempts: int = 2
