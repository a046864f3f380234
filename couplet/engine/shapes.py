"""JSON shapes of the engine's records, shared by the CLI's `--json` and the REST API, so
both always say the same thing (snake_case keys, ISO 8601 times)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import JOB_COUNTERS, Coupling, JobError, JobLog
from .schedule import JobEntry


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def job(j: JobLog) -> dict[str, Any]:
    return {
        "id": j.id,
        "mapping": j.mapping,
        "direction": j.direction.value,
        "type": j.type.value,
        "started_at": _time(j.started_at),
        "finished_at": _time(j.finished_at),
        **{name: getattr(j, name) for name in JOB_COUNTERS},
        "message": j.message,
    }


def error(error_id: int, e: JobError) -> dict[str, Any]:
    return {
        "id": error_id,
        "job_id": e.job_id,
        "mapping": e.mapping,
        "source_id": e.source_id,
        "destination_id": e.destination_id,
        "message": e.message,
        "created_at": _time(e.created_at),
    }


def skipped(c: Coupling) -> dict[str, Any]:
    return {
        "coupling_id": c.id,
        "mapping": c.mapping,
        "erp_id": c.erp_id,
        "crm_id": c.crm_id,
        "last_error": c.last_error,
    }


def queue_entry(e: JobEntry) -> dict[str, Any]:
    return {
        "name": e.name,
        "kind": e.kind,
        "status": e.status.value,
        "interval_seconds": e.interval_seconds,
        "inactivity_timeout_minutes": e.inactivity_timeout_minutes,
        "next_run_at": _time(e.next_run_at),
        "last_run_at": _time(e.last_run_at),
        "attempts": e.attempts,
        "max_attempts": e.max_attempts,
        "last_error": e.last_error,
        "one_off": e.one_off,
        "description": e.description,
    }
