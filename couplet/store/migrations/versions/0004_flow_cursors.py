"""Cursors of the document flows (statistics time, last payment entry, availability time).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from couplet.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_cursor",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("flow_cursor")
