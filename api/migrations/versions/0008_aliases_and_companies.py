"""customers' colour aliases and users' companies

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour_aliases', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('company')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('colour_aliases')
