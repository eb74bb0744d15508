"""watch_notices: published notices read by the territorial watch (issue 24)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("modifies", sa.String(100), index=True),
        sa.Column("replaced_by", sa.String(100)),
        sa.Column("published", sa.Date(), index=True),
        sa.Column("department", sa.String(3), index=True),
        sa.Column("commune_insee", sa.String(5)),
        sa.Column("epci", sa.String(9)),
        sa.Column("buyer", sa.String(300)),
        sa.Column("obligation", sa.String(15), nullable=False),
        sa.Column("social", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False, index=True),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("watch_notices")
