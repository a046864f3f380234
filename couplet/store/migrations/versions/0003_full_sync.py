"""Per-side coupling errors (the skip rule) and full-synchronization review lines.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from couplet.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coupling") as batch:
        batch.add_column(sa.Column("erp_error", sa.Text))
        batch.add_column(sa.Column("crm_error", sa.Text))
    op.create_table(
        "full_sync_line",
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


def downgrade() -> None:
    op.drop_table("full_sync_line")
    with op.batch_alter_table("coupling") as batch:
        batch.drop_column("crm_error")
        batch.drop_column("erp_error")
