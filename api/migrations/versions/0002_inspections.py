"""inspections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:41:09.374934
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('checklist_templates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', name=op.f('uq_checklist_templates_code'))
    )
    op.create_table('defect_codes',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('default_severity', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_defect_codes'))
    )
    op.create_table('spec_sheets',
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('defect_severity', sa.String(length=10), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_spec_sheets_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_spec_sheets'))
    )
    op.create_table('checklist_answers',
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=4), nullable=False),
    sa.Column('value', sa.String(length=24), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_checklist_answers_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_answers')),
    sa.UniqueConstraint('inspection_id', 'item_key', name=op.f('uq_checklist_answers_inspection_id_item_key'))
    )
    with op.batch_alter_table('checklist_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_answers_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('defects',
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('sample_unit', sa.String(length=40), nullable=False),
    sa.Column('carton_number', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('follow_up_owner_id', sa.Uuid(), nullable=True),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_note', sa.Text(), nullable=False),
    sa.Column('closed_photo_ids', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['code'], ['defect_codes.code'], name=op.f('fk_defects_code_defect_codes')),
    sa.ForeignKeyConstraint(['follow_up_owner_id'], ['users.id'], name=op.f('fk_defects_follow_up_owner_id_users')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_defects_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defects'))
    )
    with op.batch_alter_table('defects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_defects_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('inspection_cartons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('carton_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('missing_reason', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['cartons.id'], name=op.f('fk_inspection_cartons_carton_id_cartons')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_cartons_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_cartons')),
    sa.UniqueConstraint('inspection_id', 'carton_id', name=op.f('uq_inspection_cartons_inspection_id_carton_id'))
    )
    with op.batch_alter_table('inspection_cartons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_cartons_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('measurements',
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('sample_unit', sa.String(length=40), nullable=False),
    sa.Column('size', sa.String(length=40), nullable=False),
    sa.Column('point', sa.String(length=40), nullable=False),
    sa.Column('reading', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=24), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('spec', sa.String(length=24), nullable=False),
    sa.Column('deviation', sa.String(length=24), nullable=False),
    sa.Column('within', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_measurements_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements'))
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('verdict', sa.String(length=24), nullable=False),
    sa.Column('carton_id', sa.Uuid(), nullable=True),
    sa.Column('order_line_id', sa.Uuid(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_scans_by_id_users')),
    sa.ForeignKeyConstraint(['carton_id'], ['cartons.id'], name=op.f('fk_scans_carton_id_cartons')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_scans_inspection_id_inspections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_scans_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scans_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inspection_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('image_png', sa.LargeBinary(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_signatures_by_id_users')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_signatures_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures')),
    sa.UniqueConstraint('inspection_id', 'role', name=op.f('uq_signatures_inspection_id_role'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_inspection_id'), ['inspection_id'], unique=False)

    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reduced_allowed', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision_of_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('lot_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('aql_level', sa.String(length=4), nullable=False, server_default='II'))
        batch_op.add_column(sa.Column('aql_critical', sa.String(length=8), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('aql_major', sa.String(length=8), nullable=False, server_default='2.5'))
        batch_op.add_column(sa.Column('aql_minor', sa.String(length=8), nullable=False, server_default='4.0'))
        batch_op.add_column(sa.Column('mode', sa.String(length=10), nullable=False, server_default='normal'))
        batch_op.add_column(sa.Column('mode_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('mode_reason_zh', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('plans', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('units_inspected', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('production_stage', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('percent_complete', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('checklist_template_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('carton_seed', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('packing_list_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verdict', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('result', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('review_decision', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('abort_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_inspections_revision_of_id_inspections'), 'inspections', ['revision_of_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_inspections_packing_list_id_packing_lists'), 'packing_lists', ['packing_list_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_inspections_superseded_by_id_inspections'), 'inspections', ['superseded_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_inspections_checklist_template_id_checklist_templates'), 'checklist_templates', ['checklist_template_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_inspections_reviewed_by_id_users'), 'users', ['reviewed_by_id'], ['id'])

    # Seed data: the garment defect library and the default checklist (admins edit them later).
    from api.inspections.library import seed_rows

    code_rows, template_rows = seed_rows()
    codes = sa.table("defect_codes", sa.column("code"), sa.column("category"), sa.column("name_en"),
                     sa.column("name_zh"), sa.column("default_severity"), sa.column("active", sa.Boolean))
    op.bulk_insert(codes, code_rows)
    templates = sa.table("checklist_templates", sa.column("id", sa.Uuid), sa.column("code"), sa.column("name"),
                         sa.column("name_zh"), sa.column("items", sa.JSON), sa.column("version", sa.Integer))
    op.bulk_insert(templates, template_rows)


def downgrade() -> None:

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspections_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_inspections_checklist_template_id_checklist_templates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_inspections_superseded_by_id_inspections'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_inspections_packing_list_id_packing_lists'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_inspections_revision_of_id_inspections'), type_='foreignkey')
        batch_op.drop_column('abort_reason')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('review_note')
        batch_op.drop_column('review_decision')
        batch_op.drop_column('result')
        batch_op.drop_column('verdict')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('packing_list_id')
        batch_op.drop_column('carton_seed')
        batch_op.drop_column('checklist_template_id')
        batch_op.drop_column('notes')
        batch_op.drop_column('percent_complete')
        batch_op.drop_column('production_stage')
        batch_op.drop_column('units_inspected')
        batch_op.drop_column('plans')
        batch_op.drop_column('mode_reason_zh')
        batch_op.drop_column('mode_reason')
        batch_op.drop_column('mode')
        batch_op.drop_column('aql_minor')
        batch_op.drop_column('aql_major')
        batch_op.drop_column('aql_critical')
        batch_op.drop_column('aql_level')
        batch_op.drop_column('lot_size')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('revision_of_id')

    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.drop_column('reduced_allowed')

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_inspection_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_inspection_id'))

    op.drop_table('scans')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurements_inspection_id'))

    op.drop_table('measurements')
    with op.batch_alter_table('inspection_cartons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_cartons_inspection_id'))

    op.drop_table('inspection_cartons')
    with op.batch_alter_table('defects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_defects_inspection_id'))

    op.drop_table('defects')
    with op.batch_alter_table('checklist_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_answers_inspection_id'))

    op.drop_table('checklist_answers')
    op.drop_table('spec_sheets')
    op.drop_table('defect_codes')
    op.drop_table('checklist_templates')

