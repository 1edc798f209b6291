"""report runs (issue 11: a report built in the background with its progress)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filters", sa.Text, nullable=False),
        sa.Column("scope", sa.Text),
        sa.Column("username", sa.String(64)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("file_path", sa.String(500)),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_report_run_status"),
    )
    op.create_index("ix_report_run_status", "report_run", ["status"])


def downgrade():
    op.drop_index("ix_report_run_status", "report_run")
    op.drop_table("report_run")
