"""followup_commitments, followup_statements, followup_events: the clause follow-up after award (issue 25)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROUTES = ("direct_hire", "temporary_work_etti", "provision_ai_geiq", "subcontracting_siae", "training")
CATEGORIES = ("long_term_jobseekers", "rsa", "young_unqualified", "disability", "priority_district", "siae_followed",
              "other")
CONTRACTS = ("cddi", "cdd", "cdi", "temporary", "apprenticeship", "professionalisation")


def upgrade() -> None:
    op.create_table(
        "followup_commitments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False, index=True),
        sa.Column("tender_id", sa.Integer(), sa.ForeignKey("tenders.id", ondelete="SET NULL"), index=True),
        sa.Column("lot_number", sa.Integer()),
        sa.Column("buyer_name", sa.String(300), nullable=False),
        sa.Column("lot_title", sa.String(500), nullable=False),
        sa.Column("holder_siret", sa.String(14)),
        sa.Column("holder_name", sa.String(300), nullable=False),
        sa.Column("facilitator_organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), index=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("hours_total", sa.Float()),
        sa.Column("hours_per_year", sa.Float()),
        sa.Column("penalty_per_hour", sa.Numeric(12, 2)),
        sa.Column("renewals_json", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text()),
        sa.Column("department", sa.String(3), index=True),
        sa.Column("epci", sa.String(9), index=True),
        sa.Column("trade", sa.String(200)),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "followup_statements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("followup_commitments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("month", sa.Date(), nullable=False, index=True),
        *[sa.Column(f"hours_{code}", sa.Float()) for code in ROUTES],
        *[sa.Column(f"participants_{code}", sa.Integer()) for code in CATEGORIES],
        *[sa.Column(f"contracts_{code}", sa.Integer()) for code in CONTRACTS],
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("imported_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("commitment_id", "month"),
    )
    op.create_table(
        "followup_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("commitment_id", sa.Integer(), sa.ForeignKey("followup_commitments.id"), nullable=False, index=True),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("month", sa.Date()),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("source", sa.String(300)),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("followup_events")
    op.drop_table("followup_statements")
    op.drop_table("followup_commitments")
