"""invoices and mail: the fields the registry gains (issue 9)

* ``premise.entrance`` — підʼїзд: invoices are printed per building in delivery order
  (entrance, then flat number sorted naturally);
* ``organisation.working_hours`` and ``organisation.invoice_notice`` — the provider's hours and
  the notice area of every invoice (announcements, contacts for readings, disputes);
* ``account.einvoice_consent`` / ``account.einvoice_consent_on`` — the owner agreed to receive
  invoices by e-mail, and since when.

Added in place (``ALTER TABLE … ADD COLUMN``; no batch copy on SQLite, so the triggers of 0003
and 0011 stay).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COLUMNS = (
    ("premise", sa.Column("entrance", sa.Integer())),
    ("organisation", sa.Column("working_hours", sa.String(250))),
    ("organisation", sa.Column("invoice_notice", sa.Text())),
    ("account", sa.Column("einvoice_consent", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("account", sa.Column("einvoice_consent_on", sa.Date())),
)


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in reversed(COLUMNS):
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
        else:
            op.drop_column(table, column.name)
