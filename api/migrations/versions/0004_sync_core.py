"""sync core: tombstones for findings, a version on every client-made record

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

FINDINGS = ('defects', 'measurements', 'checklist_answers')
VERSIONED = ('photos', 'scans', 'signatures', 'defect_codes')
LIVE = sa.text('deleted_at IS NULL')


def upgrade() -> None:
    for table in FINDINGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('deleted_by_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_deleted_by_id_users'), 'users', ['deleted_by_id'],
                                        ['id'])
    # One live answer per checklist item; a deleted answer no longer holds the item.
    with op.batch_alter_table('checklist_answers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checklist_answers_inspection_id_item_key', type_='unique')
    op.create_index('uq_checklist_answers_live_item', 'checklist_answers', ['inspection_id', 'item_key'],
                    unique=True, sqlite_where=LIVE, postgresql_where=LIVE)
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
    op.drop_index('uq_checklist_answers_live_item', table_name='checklist_answers')
    with op.batch_alter_table('checklist_answers', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_checklist_answers_inspection_id_item_key', ['inspection_id', 'item_key'])
    for table in FINDINGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_deleted_by_id_users'), type_='foreignkey')
            batch_op.drop_column('deleted_by_id')
            batch_op.drop_column('deleted_at')
