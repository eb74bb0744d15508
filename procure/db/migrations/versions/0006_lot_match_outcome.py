"""lots: the matching outcome of each lot and the place matching used (label, extent, source, user's code)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("match_outcome", 20),
    ("match_place_label", 300),
    ("match_place_scope", 20),
    ("match_place_source", 20),
    ("match_place_code", 10),
)


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    # Lots already stored with matches were ranked; the others stay unknown (None) until the next analysis.
    lots, matches = sa.table("lots", sa.column("id"), sa.column("match_outcome")), sa.table("matches", sa.column("lot_id"))
    op.execute(lots.update().where(lots.c.id.in_(sa.select(matches.c.lot_id))).values(match_outcome="ranked"))


def downgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
