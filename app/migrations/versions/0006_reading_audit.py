"""readings: who edited a reading last, and when

``entered_by`` / ``entered_at`` keep the reading's author; ``edited_by`` / ``edited_at`` are
set by every later change of the reading (form, REST API, import), empty until then.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:15:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reading", sa.Column("edited_by", sa.String(length=100), nullable=True))
    op.add_column("reading", sa.Column("edited_at", sa.DateTime(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: copying the table would lose its billing_change triggers (0003).
        # SQLite drops a column itself since 3.35.
        op.execute("ALTER TABLE reading DROP COLUMN edited_at")
        op.execute("ALTER TABLE reading DROP COLUMN edited_by")
    else:
        op.drop_column("reading", "edited_at")
        op.drop_column("reading", "edited_by")
