"""order tombstones: customers, factories, orders and order lines are soft-deleted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LIVE = sa.text('deleted_at IS NULL')
# table → (the unique constraint of 0001 that a tombstone must stop holding, its columns, the live index replacing it)
UNIQUE = {
    'customers': ('uq_customers_code', ['code'], 'uq_customers_live_code'),
    'factories': ('uq_factories_code', ['code'], 'uq_factories_live_code'),
    'orders': ('uq_orders_customer_id_po_number', ['customer_id', 'po_number'], 'uq_orders_live_customer_id_po_number'),
    'order_lines': ('uq_order_lines_order_id_sku', ['order_id', 'sku'], 'uq_order_lines_live_order_id_sku'),
}
# Orders have had a version since 0001; the others get one now: every removal raises it.
NEW_VERSION = ('customers', 'factories', 'order_lines')
# Children before parents (the downgrade removes tombstones in this order).
TABLES = ('order_lines', 'orders', 'customers', 'factories')


def upgrade() -> None:
    for table in TABLES:
        constraint, _, _ = UNIQUE[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('deleted_by_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_deleted_by_id_users'), 'users', ['deleted_by_id'],
                                        ['id'])
            if table in NEW_VERSION:
                batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
            batch_op.drop_constraint(constraint, type_='unique')
    for table in TABLES:
        _, columns, index = UNIQUE[table]
        op.create_index(index, table, columns, unique=True, sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    # Before 0006 a deleted record was gone: the tombstones go, so that the old code does not show them as
    # live records and the old unique constraints hold again (a code or SKU may have been reused since).
    # What hung off a deleted order goes with it, by hand: SQLite runs migrations without foreign keys, so
    # ON DELETE CASCADE does not fire there. A tombstone that something else still refers to (a scan of a
    # removed line) stops the downgrade on PostgreSQL with a foreign-key error rather than losing that row.
    dead_orders = 'SELECT id FROM orders WHERE deleted_at IS NOT NULL'
    op.execute(sa.text(f'DELETE FROM order_lines WHERE deleted_at IS NOT NULL OR order_id IN ({dead_orders})'))
    op.execute(sa.text(f'DELETE FROM order_events WHERE order_id IN ({dead_orders})'))
    op.execute(sa.text(f'DELETE FROM spec_sheets WHERE order_id IN ({dead_orders})'))
    for table in ('orders', 'customers', 'factories'):
        op.execute(sa.text(f'DELETE FROM {table} WHERE deleted_at IS NOT NULL'))
    for table in TABLES:
        _, _, index = UNIQUE[table]
        op.drop_index(index, table_name=table)
    for table in TABLES:
        constraint, columns, _ = UNIQUE[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(constraint, columns)
            if table in NEW_VERSION:
                batch_op.drop_column('version')
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_deleted_by_id_users'), type_='foreignkey')
            batch_op.drop_column('deleted_by_id')
            batch_op.drop_column('deleted_at')
