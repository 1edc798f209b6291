"""the inspector's scope follows the data: meters' building from their premise (reserved for issue 8 item 1)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
