"""claim acts, the network scheme and outages (issue 10 items 1–2): reserved

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:40:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
