"""Job queue entries: schedules, inactivity timeouts, attempts, claims by workers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from couplet.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_queue",
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


def downgrade() -> None:
    op.drop_table("job_queue")
