"""re-inspections: the inspection a booking re-inspects, one live re-inspection per rejection

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:30:00
"""

from alembic import op
import sqlalchemy as sa

from api.inspections.lifecycle import Status  # statuses are named by the lifecycle only (tests/test_layout.py)


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# As api/inspections/models.py LIVE_REINSPECTION: aborted re-inspections and revisions do not hold the rejection.
LIVE = sa.text(f"reinspection_of_id IS NOT NULL AND revision_of_id IS NULL AND status != '{Status.aborted.value}'")


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reinspection_of_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_inspections_reinspection_of_id_inspections'), 'inspections',
                                    ['reinspection_of_id'], ['id'])
    op.create_index('uq_inspections_live_reinspection', 'inspections', ['reinspection_of_id'], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    op.drop_index('uq_inspections_live_reinspection', table_name='inspections')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspections_reinspection_of_id_inspections'), type_='foreignkey')
        batch_op.drop_column('reinspection_of_id')
