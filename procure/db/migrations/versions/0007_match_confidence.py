"""matches: the confidence label of each match (forte, plausible), shown to the working group

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches") as batch:
        batch.add_column(sa.Column("confidence", sa.String(length=20), nullable=True))
    # Stored explanations start with "confiance forte ;" / "confiance plausible ;": recover the label from them.
    matches = sa.table("matches", sa.column("confidence"), sa.column("explanation"))
    for label in ("forte", "plausible", "faible"):
        op.execute(matches.update().where(matches.c.explanation.like(f"confiance {label}%")).values(confidence=label))


def downgrade() -> None:
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("confidence")
