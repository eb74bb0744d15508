"""documents.doc_type: room for every document role ("CANDIDATURE" has 11 characters; PostgreSQL refused it)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("doc_type", type_=sa.String(20), existing_type=sa.String(10), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("doc_type", type_=sa.String(10), existing_type=sa.String(20), existing_nullable=True)
