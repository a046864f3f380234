"""The full synchronization review (a recommendation per mapping) and running it here."""

from __future__ import annotations

from ..engine import full_sync
from ..engine.model import FullSyncLine
from .context import context
from .parts import Parts


def review(parts: Parts) -> list[FullSyncLine]:
    """Creates or refreshes the review lines (lines already started are kept)."""
    return full_sync.review(context(parts))


def run_here(parts: Parts) -> list[FullSyncLine]:
    """Reviews, then runs the ready lines in dependency waves in this process until done
    (`couplet full-sync --start`; the REST API and the pages queue it instead)."""
    ctx = context(parts)
    full_sync.review(ctx)
    return full_sync.start(ctx)
