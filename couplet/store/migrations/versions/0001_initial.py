"""The engine's first tables: connection, mappings, couplings, watermarks, job log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from couplet.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

COUNTERS = (
    "inserted",
    "modified",
    "deleted",
    "unchanged",
    "skipped",
    "failed",
    "coupled",
    "uncoupled",
)


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("crm_url", sa.String(500), nullable=False),
        sa.Column("crm_client_id", sa.String(200), nullable=False),
        sa.Column("crm_secret", sa.Text, nullable=False),
        sa.Column("erp_url", sa.String(500), nullable=False),
        sa.Column("erp_company", sa.String(100), nullable=False),
        sa.Column("erp_client_id", sa.String(200), nullable=False),
        sa.Column("erp_secret", sa.Text, nullable=False),
        sa.Column("crm_integration_user", sa.String(36)),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "mapping",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "coupling",
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
        sa.Column("skipped", sa.Boolean, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("mapping", "erp_id", name="uq_coupling_erp"),
        sa.UniqueConstraint("mapping", "crm_id", name="uq_coupling_crm"),
    )
    op.create_index("ix_coupling_failed", "coupling", ["mapping", "skipped"])
    op.create_table(
        "watermark",
        sa.Column("mapping", sa.String(50), primary_key=True),
        sa.Column("erp", UTCDateTime),
        sa.Column("crm", UTCDateTime),
        sa.Column("erp_seen", sa.JSON, nullable=False),
        sa.Column("crm_seen", sa.JSON, nullable=False),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("mapping", sa.String(50), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        *(sa.Column(name, sa.Integer, nullable=False) for name in COUNTERS),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_job_mapping", "job", ["mapping"])
    op.create_index("ix_job_started_at", "job", ["started_at"])
    op.create_table(
        "job_error",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("mapping", sa.String(50), nullable=False),
        sa.Column("source_id", sa.String(64)),
        sa.Column("destination_id", sa.String(64)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_job_error_job_id", "job_error", ["job_id"])
    op.create_index("ix_job_error_record", "job_error", ["mapping", "source_id"])


def downgrade() -> None:
    for name in ("job_error", "job", "watermark", "coupling", "mapping", "connection"):
        op.drop_table(name)
