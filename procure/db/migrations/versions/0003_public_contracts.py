"""public contracts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:50:39.931951
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('public_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('objet', sa.Text(), nullable=False),
    sa.Column('cpv', sa.String(length=8), nullable=True),
    sa.Column('division', sa.String(length=2), nullable=True),
    sa.Column('procedure', sa.String(length=100), nullable=True),
    sa.Column('montant', sa.Float(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('acheteur_id', sa.String(length=20), nullable=True),
    sa.Column('acheteur_nom', sa.String(length=300), nullable=True),
    sa.Column('lieu_code', sa.String(length=10), nullable=True),
    sa.Column('titulaires', sa.Text(), nullable=True),
    sa.Column('social', sa.String(length=50), nullable=False),
    sa.Column('source_format', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('public_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_contracts_acheteur_id'), ['acheteur_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_contracts_division'), ['division'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_contracts_year'), ['year'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('public_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_contracts_year'))
        batch_op.drop_index(batch_op.f('ix_public_contracts_division'))
        batch_op.drop_index(batch_op.f('ix_public_contracts_acheteur_id'))

    op.drop_table('public_contracts')

