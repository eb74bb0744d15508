"""tenders: the user's answer on whether the contract is a defence or security one (out of L2112-2-1)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("defence_security", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.drop_column("defence_security")
