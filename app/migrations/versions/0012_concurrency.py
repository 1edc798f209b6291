"""concurrent edits refused with a clear message: row versions (issue 8 item 8)

A ``version`` column (1 for every existing row) on the registry records two users edit:
SQLAlchemy's ``version_id_col`` of the models (``app/models/versioned.py``). Added in place
(``ALTER TABLE … ADD COLUMN … DEFAULT 1``): on PostgreSQL a constant default rewrites nothing,
on SQLite no batch copy, so the billing_change triggers of 0003 stay.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ("building", "premise", "resident", "account", "account_service", "meter", "tariff")


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":
            # Not batch mode: copying the table would lose its billing_change triggers (0003).
            op.execute(f"ALTER TABLE {table} DROP COLUMN version")
        else:
            op.drop_column(table, "version")
