"""foundation: users, orders, packing lists, bookings

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 00:28:38.289291
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('customers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('aql_level', sa.String(length=4), nullable=True),
    sa.Column('aql_critical', sa.String(length=8), nullable=True),
    sa.Column('aql_major', sa.String(length=8), nullable=True),
    sa.Column('aql_minor', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('code', name=op.f('uq_customers_code'))
    )
    op.create_table('factories',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_factories')),
    sa.UniqueConstraint('code', name=op.f('uq_factories_code'))
    )
    op.create_table('login_failures',
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username', 'address', name=op.f('pk_login_failures'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('factory_id', sa.Uuid(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_users_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('auth_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auth_sessions_token_hash'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Uuid(), nullable=False),
    sa.Column('merchandiser_id', sa.Uuid(), nullable=True),
    sa.Column('po_number', sa.String(length=60), nullable=False),
    sa.Column('style_number', sa.String(length=60), nullable=False),
    sa.Column('factory_batch', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('ship_date', sa.Date(), nullable=True),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('inspection_status', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('aql_level', sa.String(length=4), nullable=True),
    sa.Column('aql_critical', sa.String(length=8), nullable=True),
    sa.Column('aql_major', sa.String(length=8), nullable=True),
    sa.Column('aql_minor', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_orders_factory_id_factories')),
    sa.ForeignKeyConstraint(['merchandiser_id'], ['users.id'], name=op.f('fk_orders_merchandiser_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('customer_id', 'po_number', name=op.f('uq_orders_customer_id_po_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_ship_date'), ['ship_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_style_number'), ['style_number'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_inspections_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspections_created_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_inspections_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_status'), ['status'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_order_events_actor_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_events_order_id'), ['order_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=80), nullable=False),
    sa.Column('size', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=80), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'sku', name=op.f('uq_order_lines_order_id_sku'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_gtin'), ['gtin'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)

    op.create_table('packing_lists',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Uuid(), nullable=True),
    sa.Column('carton_count', sa.Integer(), nullable=False),
    sa.Column('total_quantity', sa.Integer(), nullable=False),
    sa.Column('reconciliation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_packing_lists_imported_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_packing_lists_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packing_lists')),
    sa.UniqueConstraint('order_id', 'version', name=op.f('uq_packing_lists_order_id_version'))
    )
    with op.batch_alter_table('packing_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packing_lists_order_id'), ['order_id'], unique=False)

    op.create_table('cartons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('packing_list_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=48), nullable=False),
    sa.Column('net_kg', sa.Double(), nullable=True),
    sa.Column('gross_kg', sa.Double(), nullable=True),
    sa.Column('length_cm', sa.Double(), nullable=True),
    sa.Column('width_cm', sa.Double(), nullable=True),
    sa.Column('height_cm', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_cartons_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['packing_list_id'], ['packing_lists.id'], name=op.f('fk_cartons_packing_list_id_packing_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cartons')),
    sa.UniqueConstraint('packing_list_id', 'number', name=op.f('uq_cartons_packing_list_id_number'))
    )
    with op.batch_alter_table('cartons', schema=None) as batch_op:
        batch_op.create_index('ix_cartons_barcode_current', ['barcode', 'is_current'], unique=False)
        batch_op.create_index(batch_op.f('ix_cartons_order_id'), ['order_id'], unique=False)

    op.create_table('carton_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('carton_id', sa.Uuid(), nullable=False),
    sa.Column('order_line_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['cartons.id'], name=op.f('fk_carton_items_carton_id_cartons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_carton_items_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carton_items'))
    )
    with op.batch_alter_table('carton_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carton_items_carton_id'), ['carton_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('carton_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carton_items_carton_id'))

    op.drop_table('carton_items')
    with op.batch_alter_table('cartons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cartons_order_id'))
        batch_op.drop_index('ix_cartons_barcode_current')

    op.drop_table('cartons')
    with op.batch_alter_table('packing_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packing_lists_order_id'))

    op.drop_table('packing_lists')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_gtin'))

    op.drop_table('order_lines')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_events_order_id'))

    op.drop_table('order_events')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_status'))
        batch_op.drop_index(batch_op.f('ix_inspections_order_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_assignee_id'))

    op.drop_table('inspections')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_style_number'))
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.drop_index(batch_op.f('ix_orders_ship_date'))
        batch_op.drop_index(batch_op.f('ix_orders_factory_id'))

    op.drop_table('orders')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_sessions_user_id'))

    op.drop_table('auth_sessions')
    op.drop_table('users')
    op.drop_table('login_failures')
    op.drop_table('factories')
    op.drop_table('customers')

