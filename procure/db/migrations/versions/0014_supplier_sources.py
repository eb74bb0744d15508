"""supplier_sources: each imported file's own values for a structure, beside the merged `suppliers` row (issue 23)

Existing structures get one source row holding their current values under their current source name, so a
later import merges with what was already there and nothing imported before is lost.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COPIED = ["siret", "name", "kinds", "naf", "address", "postcode", "commune_insee", "commune_name", "department",
          "latitude", "longitude", "activities", "headcount", "source_date", "demo"]


def upgrade() -> None:
    op.create_table(
        "supplier_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("siret", sa.String(14), nullable=False, index=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("source_date", sa.Date()),
        sa.Column("name", sa.String(300)),
        sa.Column("kinds", sa.String(100), nullable=False, server_default=""),
        sa.Column("naf", sa.String(6)),
        sa.Column("address", sa.String(300)),
        sa.Column("postcode", sa.String(5)),
        sa.Column("commune_insee", sa.String(5)),
        sa.Column("commune_name", sa.String(100)),
        sa.Column("department", sa.String(3)),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("activities", sa.Text()),
        sa.Column("headcount", sa.Integer()),
        sa.Column("details", sa.Text()),
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("siret", "source", name="uq_supplier_source"),
    )
    columns = ", ".join(COPIED)
    op.execute(f"INSERT INTO supplier_sources ({columns}, source, format) "
               f"SELECT {columns}, source, 'ancien' FROM suppliers")


def downgrade() -> None:
    op.drop_table("supplier_sources")
