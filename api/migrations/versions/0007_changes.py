"""the change log behind the change feed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('txid', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('for_user_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['for_user_id'], ['users.id'], name=op.f('fk_changes_for_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_position', ['txid', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_changes_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_changes_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_table('changes')
