"""the ledger: payments and subsidies posted on receipt, reversals, opening balances

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
    pass


def downgrade():
    pass
