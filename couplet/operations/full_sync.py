"""The full synchronization review (a recommendation per mapping), restarting lines, and
running it here."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import full_sync
from ..engine.errors import ConfigError
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


def restart(
    parts: Parts, names: Sequence[str] = (), *, all_failed: bool = False
) -> list[FullSyncLine]:
    """Puts the named lines, or with `all_failed` every failed one, back to not started, so
    the next start runs them (with reconciliation: docs/behaviour.md §4.1). `couplet
    full-sync --restart/--all-failed`, `POST /api/v1/full-sync/restart` and the review
    page's buttons all come here; returns the lines put back."""
    if bool(names) == all_failed:
        raise ConfigError("Name the lines to restart, or ask for all failed lines (not both).")
    return full_sync.restart(context(parts), None if all_failed else list(names))
