"""Sign-in through the Microsoft identity platform: each side's authority, scope and
certificate (encrypted like the client secrets). A connection stored before keeps signing in
at the service's own token endpoint (no authority).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (
    ("crm_authority", sa.String(500)),
    ("crm_scope", sa.String(500)),
    ("crm_certificate", sa.Text()),
    ("erp_authority", sa.String(500)),
    ("erp_scope", sa.String(500)),
    ("erp_certificate", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("connection") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connection") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
