"""JSON shapes of the engine's records, shared by the CLI's `--json` and the REST API, so
both always say the same thing (snake_case keys, ISO 8601 times)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .manual import SyncNowResult
from .model import JOB_COUNTERS, Coupling, FullSyncLine, JobError, JobLog, TableMapping
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


def mapping_summary(m: TableMapping) -> dict[str, Any]:
    """One line of `mappings list`: the mapping without its field mappings."""
    return {
        "name": m.name,
        "direction": m.direction.value,
        "erp_entity": m.erp_table,
        "crm_entity": m.crm_table,
        "only_coupled": m.only_coupled,
        "dependencies": list(m.dependencies),
        "fields": len(m.fields),
        "option_mapping": m.option_mapping,
        "job_interval_minutes": m.job.interval_seconds // 60 if m.job.enabled else None,
    }


def coupling(c: Coupling) -> dict[str, Any]:
    return {
        "id": c.id,
        "mapping": c.mapping,
        "erp_id": c.erp_id,
        "crm_id": c.crm_id,
        "erp_modified_on": _time(c.erp_modified_on),
        "crm_modified_on": _time(c.crm_modified_on),
        "erp_result": c.erp_result.value if c.erp_result else None,
        "crm_result": c.crm_result.value if c.crm_result else None,
        "skipped": c.skipped,
        "last_error": c.last_error,
    }


def full_sync_line(x: FullSyncLine) -> dict[str, Any]:
    return {
        "name": x.name,
        "direction": x.direction.value,
        "recommendation": x.recommendation.value,
        "status": x.status.value,
        "erp_to_crm": x.erp_to_crm_status.value,
        "crm_to_erp": x.crm_to_erp_status.value,
        "dependencies": list(x.dependencies),
        "message": x.message,
    }


def line_failed(x: FullSyncLine) -> bool:
    """Whether a full-synchronization line, or one of its passes, ended in error."""
    return "error" in (x.status.value, x.erp_to_crm_status.value, x.crm_to_erp_status.value)


def sync_now(result: SyncNowResult) -> dict[str, Any]:
    return {
        "summary": result.summary,
        "skipped": result.skipped,
        "jobs": [job(j) for j in result.jobs],
    }
