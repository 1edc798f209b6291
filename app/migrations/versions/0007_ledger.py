"""the ledger: payments and subsidies posted on receipt, reversals, opening balances

* ``journal_entry.payment_id``: the payment an entry spreads or reverses (a plain ``ADD
  COLUMN`` on both databases: a batch copy of the table would lose the journal's triggers);
* ``payment_reversal``: Сторнування of a payment, with its reason;
* ``opening_balance``: вхідне сальдо imported from another system (the journal holds its
  ``opening_balance`` entries).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:15:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its reference natively
        op.execute("ALTER TABLE journal_entry ADD COLUMN payment_id INTEGER REFERENCES payment (id)")
    else:
        op.add_column('journal_entry', sa.Column('payment_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_journal_entry_payment_id', 'journal_entry', 'payment', ['payment_id'], ['id'])
    op.create_index('ix_journal_entry_payment_id', 'journal_entry', ['payment_id'], unique=False)
    op.create_table(
        'payment_reversal',
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('reversed_by', sa.String(length=100), nullable=True),
        sa.Column('reversed_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
        sa.PrimaryKeyConstraint('payment_id'),
    )
    op.create_table(
        'opening_balance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'service_id', name='uq_opening_balance_key'),
    )
    op.create_index('ix_opening_balance_account_id', 'opening_balance', ['account_id'], unique=False)


def downgrade():
    op.drop_index('ix_opening_balance_account_id', table_name='opening_balance')
    op.drop_table('opening_balance')
    op.drop_table('payment_reversal')
    op.drop_index('ix_journal_entry_payment_id', table_name='journal_entry')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('fk_journal_entry_payment_id', 'journal_entry', type_='foreignkey')
    op.execute("ALTER TABLE journal_entry DROP COLUMN payment_id")
