"""write-off statements (відомості списання, issue 10 item 3; billing.md §11)

``write_off`` (the statement), ``write_off_line`` (account, service, amount > 0, the debt and the
oldest unpaid month at review) and ``write_off_posting`` (one row per statement and action —
approve, cancel — whose primary key refuses a second posting of the same action).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 03:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "write_off",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("limitation_months", sa.Integer()),
        sa.Column("as_of", sa.Date()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("approved_by", sa.String(100)),
        sa.Column("approved_at", sa.DateTime()),
        sa.Column("cancelled_by", sa.String(100)),
        sa.Column("cancelled_at", sa.DateTime()),
        sa.Column("cancel_reason", sa.String(500)),
        sa.UniqueConstraint("number", name="uq_write_off_number"),
        sa.CheckConstraint("reason IN ('limitation', 'deceased', 'other')", name="ck_write_off_reason"),
        sa.CheckConstraint("status IN ('draft', 'approved', 'cancelled')", name="ck_write_off_status"),
    )
    op.create_index("ix_write_off_date", "write_off", ["doc_date"])
    op.create_table(
        "write_off_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("write_off_id", sa.Integer(), sa.ForeignKey("write_off.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id"), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("debt", sa.Numeric(precision=14, scale=2)),
        sa.Column("oldest_unpaid", sa.String(7)),
        sa.Column("note", sa.String(500)),
        sa.UniqueConstraint("write_off_id", "account_id", "service_id", name="uq_write_off_line_key"),
        sa.CheckConstraint("amount > 0", name="ck_write_off_line_amount"),
    )
    op.create_index("ix_write_off_line_write_off_id", "write_off_line", ["write_off_id"])
    op.create_index("ix_write_off_line_account_id", "write_off_line", ["account_id"])
    op.create_table(
        "write_off_posting",
        sa.Column("write_off_id", sa.Integer(), sa.ForeignKey("write_off.id"), primary_key=True),
        sa.Column("action", sa.String(10), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("posted_by", sa.String(100)),
        sa.Column("posted_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("action IN ('approve', 'cancel')", name="ck_write_off_posting_action"),
    )


def downgrade():
    op.drop_table("write_off_posting")
    op.drop_index("ix_write_off_line_account_id", table_name="write_off_line")
    op.drop_index("ix_write_off_line_write_off_id", table_name="write_off_line")
    op.drop_table("write_off_line")
    op.drop_index("ix_write_off_date", table_name="write_off")
    op.drop_table("write_off")
