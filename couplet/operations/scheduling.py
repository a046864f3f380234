"""The job queue entries of the mappings and of the document flows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from ..engine.schedule import JobEntry, JobStatus
from ..flows import availability
from ..flows.registry import FLOWS
from .context import connection, mappings
from .parts import Parts


def schedule_mappings(parts: Parts, names: Sequence[str]) -> None:
    """Creates or refreshes the recurring job queue entry of each mapping."""
    loaded = mappings(parts)
    for name in names:
        m = loaded[name]
        if not m.job.enabled:
            parts.queue.delete(name)
            continue
        existing = parts.queue.get(name)
        entry = JobEntry(
            name=name,
            kind="mapping",
            interval_seconds=m.job.interval_seconds,
            inactivity_timeout_minutes=m.job.inactivity_timeout_minutes,
            max_attempts=m.job.max_attempts,
            rerun_delay_seconds=m.job.rerun_delay_seconds,
            description=f"{name} - synchronization job",
        )
        if existing is not None:
            entry = replace(entry, status=existing.status, next_run_at=existing.next_run_at)
        parts.queue.upsert(entry)


def schedule_flows(parts: Parts) -> None:
    """The recurring jobs of the document flows the connection's features switch on."""
    features = connection(parts).features
    for flow in FLOWS:
        if not flow.enabled(features):
            parts.queue.delete(flow.name)
        elif parts.queue.get(flow.name) is None:
            # Created resting, like Business Central's flow jobs: the first look comes
            # after one interval (or sooner, when woken).
            parts.queue.upsert(
                JobEntry(
                    name=flow.name,
                    kind=flow.kind,
                    interval_seconds=flow.interval_seconds,
                    inactivity_timeout_minutes=flow.inactivity_timeout_minutes,
                    max_attempts=flow.max_attempts,
                    status=JobStatus.ON_HOLD_INACTIVITY,
                    next_run_at=parts.clock() + dt.timedelta(seconds=flow.interval_seconds),
                    description=flow.description,
                )
            )
    if features.item_availability:
        documents = availability.with_inventory_field(parts.config.mapping_documents())
        if documents is not None:
            parts.config.save_mapping_documents(documents, parts.clock())
