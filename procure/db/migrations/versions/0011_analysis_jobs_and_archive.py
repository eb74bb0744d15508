"""Analysis state kept in the database (worker processes, issue 21), archived consultations, one-time passwords

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("analysis_state", sa.String(20)))  # queued, running, done, failed
        batch.add_column(sa.Column("analysis_step", sa.Text()))  # French progress text, e.g. "page 3/40"
        batch.add_column(sa.Column("analysis_fraction", sa.Float()))
        batch.add_column(sa.Column("analysis_error", sa.Text()))  # French reason when failed
        batch.add_column(sa.Column("analysis_queued_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("analysis_heartbeat", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("analysis_requested_by", sa.Integer()))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("archived_by", sa.Integer()))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("tenders") as batch:
        for column in ("archived_by", "archived_at", "analysis_requested_by", "analysis_heartbeat",
                       "analysis_queued_at", "analysis_error", "analysis_fraction", "analysis_step", "analysis_state"):
            batch.drop_column(column)
