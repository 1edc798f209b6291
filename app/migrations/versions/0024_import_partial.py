"""imports the way banks send them (issue 12, item 5): an import's control totals (rows, the sum of
its amounts, its dates), the choice of writing a payment register's valid rows only (``partial``)
and the file of its rejected rows kept to fix and import again (``rejected_file``).

Plain ``ADD COLUMN`` (no table rebuild on SQLite).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("import_record", sa.Column("totals", sa.JSON(), nullable=True))
    op.add_column("import_record", sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("import_record", sa.Column("rejected_file", sa.LargeBinary(), nullable=True))


def downgrade():
    op.drop_column("import_record", "rejected_file")
    op.drop_column("import_record", "partial")
    op.drop_column("import_record", "totals")
