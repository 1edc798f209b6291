"""invoice builds (issue 9 §2): ``invoice_build`` (a build of a period's invoices, its progress
by building; one running build per period — a partial unique index) and ``invoice_chunk``
(its buildings: attempts, heartbeat, finished_at, what each wrote)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 03:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoice_build",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("preliminary", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("directory", sa.String(length=1000), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("task_id", sa.String(length=50), nullable=True),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("buildings_total", sa.Integer(), nullable=False),
        sa.Column("buildings_done", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="ck_invoice_build_status"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_build_period", "invoice_build", ["period"], unique=False)
    op.create_index("uq_invoice_build_running", "invoice_build", ["period"], unique=True,
                    sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
    op.create_table(
        "invoice_chunk",
        sa.Column("build_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("building_code", sa.String(length=50), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["build_id"], ["invoice_build.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("build_id", "building_id"),
    )


def downgrade():
    op.drop_table("invoice_chunk")
    op.drop_index("uq_invoice_build_running", table_name="invoice_build")
    op.drop_index("ix_invoice_build_period", table_name="invoice_build")
    op.drop_table("invoice_build")
