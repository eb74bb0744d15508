"""access: login throttle, one analysis at a time, suggestion statuses stored as codes

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# French display strings stored by the first releases -> codes of procure.service.schema.SuggestionStatus
STATUS_CODES = {"obligatoire": "mandatory", "recommandée": "recommended", "possible": "possible",
                "déjà présente": "present"}


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_email", "login_failures", ["email"])
    op.create_index("ix_login_failures_address", "login_failures", ["address"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("analysing_since", sa.DateTime(timezone=True), nullable=True))
    suggestions = sa.table("suggestions", sa.column("status", sa.String))
    for label, code in STATUS_CODES.items():
        op.execute(suggestions.update().where(suggestions.c.status == label).values(status=code))


def downgrade() -> None:
    suggestions = sa.table("suggestions", sa.column("status", sa.String))
    for label, code in STATUS_CODES.items():
        op.execute(suggestions.update().where(suggestions.c.status == code).values(status=label))
    with op.batch_alter_table("tenders") as batch:
        batch.drop_column("analysing_since")
    op.drop_table("login_failures")
