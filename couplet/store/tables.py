"""The engine's tables. Changes to them go with an Alembic migration in `migrations/`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..engine.model import JOB_COUNTERS

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes stored naive, so SQLite and PostgreSQL compare them alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if isinstance(value, dt.datetime) else None


connection = sa.Table(
    "connection",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("crm_url", sa.String(500), nullable=False),
    sa.Column("crm_client_id", sa.String(200), nullable=False),
    sa.Column("crm_secret", sa.Text, nullable=False),  # encrypted
    sa.Column("erp_url", sa.String(500), nullable=False),
    sa.Column("erp_company", sa.String(100), nullable=False),
    sa.Column("erp_client_id", sa.String(200), nullable=False),
    sa.Column("erp_secret", sa.Text, nullable=False),  # encrypted
    sa.Column("crm_integration_user", sa.String(36)),
    sa.Column("enabled", sa.Boolean, nullable=False, default=False),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Sign-in through the Microsoft identity platform (migration 0007).
    sa.Column("crm_authority", sa.String(500)),
    sa.Column("crm_scope", sa.String(500)),
    sa.Column("crm_certificate", sa.Text),  # encrypted
    sa.Column("erp_authority", sa.String(500)),
    sa.Column("erp_scope", sa.String(500)),
    sa.Column("erp_certificate", sa.Text),  # encrypted
)

mapping = sa.Table(
    "mapping",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

coupling = sa.Table(
    "coupling",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("mapping", sa.String(50), nullable=False),
    sa.Column("erp_id", sa.String(64), nullable=False),
    sa.Column("crm_id", sa.String(64), nullable=False),
    sa.Column("erp_modified_on", UTCDateTime),
    sa.Column("crm_modified_on", UTCDateTime),
    sa.Column("erp_result", sa.String(20)),
    sa.Column("erp_job", sa.String(36)),
    sa.Column("crm_result", sa.String(20)),
    sa.Column("crm_job", sa.String(36)),
    sa.Column("skipped", sa.Boolean, nullable=False, default=False),
    sa.Column("last_error", sa.Text),
    sa.Column("erp_error", sa.Text),
    sa.Column("crm_error", sa.Text),
    sa.UniqueConstraint("mapping", "erp_id", name="uq_coupling_erp"),
    sa.UniqueConstraint("mapping", "crm_id", name="uq_coupling_crm"),
)

watermark = sa.Table(
    "watermark",
    metadata,
    sa.Column("mapping", sa.String(50), primary_key=True),
    sa.Column("erp", UTCDateTime),
    sa.Column("crm", UTCDateTime),
    sa.Column("erp_seen", sa.JSON, nullable=False, default=list),
    sa.Column("crm_seen", sa.JSON, nullable=False, default=list),
)

job = sa.Table(
    "job",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("mapping", sa.String(50), nullable=False, index=True),
    sa.Column("direction", sa.String(20), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False, index=True),
    sa.Column("finished_at", UTCDateTime),
    *(sa.Column(name, sa.Integer, nullable=False, default=0) for name in JOB_COUNTERS),
    sa.Column("message", sa.Text, nullable=False, default=""),
)

job_error = sa.Table(
    "job_error",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(36), nullable=False, index=True),
    sa.Column("mapping", sa.String(50), nullable=False),
    sa.Column("source_id", sa.String(64)),
    sa.Column("destination_id", sa.String(64)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
sa.Index("ix_job_error_record", job_error.c.mapping, job_error.c.source_id)
sa.Index("ix_coupling_failed", coupling.c.mapping, coupling.c.skipped)

job_queue = sa.Table(
    "job_queue",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    sa.Column("inactivity_timeout_minutes", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("rerun_delay_seconds", sa.Integer, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("next_run_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_run_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("one_off", sa.Boolean, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("description", sa.String(250), nullable=False),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("claimed_at", UTCDateTime),
)

full_sync_line = sa.Table(
    "full_sync_line",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("direction", sa.String(20), nullable=False),
    sa.Column("recommendation", sa.String(30), nullable=False),
    sa.Column("dependencies", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("erp_to_crm_job", sa.String(36)),
    sa.Column("erp_to_crm_status", sa.String(20), nullable=False),
    sa.Column("crm_to_erp_job", sa.String(36)),
    sa.Column("crm_to_erp_status", sa.String(20), nullable=False),
    sa.Column("coupling_job", sa.String(36)),
    sa.Column("started_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("message", sa.Text, nullable=False),
)

# Where each document flow got to (a time, a ledger entry number), as text the flow reads.
flow_cursor = sa.Table(
    "flow_cursor",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Who runs a mapping now (store/leases.py): one row per leased name, renewed by the holder's
# heartbeat, taken over only once `expires_at` has passed.
lease = sa.Table(
    "lease",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("job", sa.String(200), nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    sa.Column("renewed_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
