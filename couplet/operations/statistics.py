"""Updating customer statistics (and their invoices' payment status) in the CRM now."""

from __future__ import annotations

from collections.abc import Sequence

from ..flows.statistics import StatisticsRun, update_customers
from .context import context
from .parts import Parts


def update(parts: Parts, customer_numbers: Sequence[str] | None = None) -> StatisticsRun:
    """Updates these customers' statistics, or every coupled customer's (None)."""
    return update_customers(context(parts), list(customer_numbers) if customer_numbers else None)
