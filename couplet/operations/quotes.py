"""The quote actions: list waiting CRM quotes, process them in the ERP."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.model import JobLog
from ..flows.builders.lines import sales_setup
from ..flows.quotes.processing import QuoteResult, process_quotes, summary, waiting_quotes
from .context import context
from .ids import record_ids
from .parts import Parts


def waiting(parts: Parts) -> list[dict[str, object]]:
    """Active and won CRM quotes waiting for processing."""
    return [summary(r) for r in waiting_quotes(context(parts))]


def process(
    parts: Parts, crm_ids: Sequence[str] | None = None
) -> tuple[JobLog | None, list[QuoteResult]]:
    """Processes these CRM quotes (every waiting one when none are given); no job when
    nothing waits."""
    ctx = context(parts)
    ids = record_ids(crm_ids or (), "CRM quote") or [r.id for r in waiting_quotes(ctx)]
    if not ids:
        return None, []
    return process_quotes(ctx, ids, sales_setup(ctx))
