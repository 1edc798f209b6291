"""debt ages per closed period (FIFO; issue 10 write-off candidates, issue 11 debtors)

* ``debt_age``: per closed period, account and service, the months not paid in full (and the
  months with a negative net) with their net and unpaid part, and the pair's surplus of credits
  (empty month) — what the FIFO rule needs to go on from that period;
* ``debt_age_period``: the periods whose rows are complete;
* ``opening_balance.debt_since``: the month an opening debt dates from in the old system (its
  age by FIFO counts from there).

Derived data: nothing is filled here; the next close computes it from the whole journal (and
``oblik ledger ages`` at any time). The downgrade drops both tables.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "debt_age",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id")),
        sa.Column("month", sa.String(7)),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("unpaid", MONEY, nullable=False),
    )
    op.create_index("ix_debt_age_period_account", "debt_age", ["period", "account_id"])
    # вхідне сальдо: the month a debt dates from in the old system
    op.add_column("opening_balance", sa.Column("debt_since", sa.String(7)))
    op.create_table(
        "debt_age_period",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("computed_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("recomputed", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    # a plain ALTER (SQLite 3.35+, PostgreSQL): a batch copy of the table would drop its triggers
    op.execute("ALTER TABLE opening_balance DROP COLUMN debt_since")
    op.drop_table("debt_age_period")
    op.drop_index("ix_debt_age_period_account", table_name="debt_age")
    op.drop_table("debt_age")
