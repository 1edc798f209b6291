"""invoice builds (issue 9 §2): reserved for the build's tables

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 03:20:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
