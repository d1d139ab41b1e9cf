"""the order's inspection status as data

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The old column held an English sentence; it is not parsed back. The next inspection change of each
    # order writes the data, and until then the order shows no inspection news.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspection_state', sa.JSON(), nullable=True))
        batch_op.drop_column('inspection_status')


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspection_status', sa.String(length=200), nullable=False, server_default=''))
        batch_op.drop_column('inspection_state')
