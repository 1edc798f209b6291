"""sessions and passwords: session version, login attempts, lockout (reserved for issue 8 item 4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
