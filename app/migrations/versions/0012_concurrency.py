"""concurrent edits refused with a clear message: row versions (reserved for issue 8 item 8)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
