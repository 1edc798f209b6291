"""report runs (issue 11: a report built in the background with its progress; filled in by its own change)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 08:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
