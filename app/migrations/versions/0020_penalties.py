"""penalties and debt restructuring (issue 10 items 4–5)

* ``penalty_exemption``: accounts on which no penalty (пеня) runs, with dates and a reason;
* ``restructuring_agreement`` and ``restructuring_instalment``: договори реструктуризації
  боргу and their schedules;
* ``penalty_basis``: the last journal entry a building's penalty saw (a later payment makes the
  draft stale for the close);
* ``charge_line.kind`` may be ``penalty`` (the CHECK constraint ``ck_charge_line_kind``; on
  SQLite the table is copied by ``batch_alter_table`` — ``charge_line`` has no triggers of its
  own, and the test of this migration checks that every trigger of the database survives it).

The downgrade drops the tables and deletes the draft's penalty lines (the old CHECK refuses
them); penalties already frozen into the journal stay there (the journal always knew the kind).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 03:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('charge', 'imbalance', 'benefit', 'recalculation')"
NEW_KINDS = "kind IN ('charge', 'imbalance', 'benefit', 'recalculation', 'penalty')"
MONEY = sa.Numeric(precision=14, scale=2)


def _kinds(check: str):
    with op.batch_alter_table("charge_line", schema=None) as batch_op:
        batch_op.drop_constraint("ck_charge_line_kind", type_="check")
        batch_op.create_check_constraint("ck_charge_line_kind", check)


def upgrade():
    op.create_table(
        "penalty_exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("date_to IS NULL OR date_to >= date_from", name="ck_penalty_exemption_dates"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("penalty_exemption", schema=None) as batch_op:
        batch_op.create_index("ix_penalty_exemption_account_id", ["account_id"], unique=False)
    op.create_table(
        "restructuring_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("agreement_date", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("debt_date", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=True),
        sa.Column("instalment_amount", MONEY, nullable=True),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'approved', 'terminated', 'cancelled')",
                           name="ck_restructuring_status"),
        sa.CheckConstraint("mode IN ('count', 'amount')", name="ck_restructuring_mode"),
        sa.CheckConstraint("amount > 0", name="ck_restructuring_amount"),
        sa.CheckConstraint("instalments IS NULL OR instalments BETWEEN 1 AND 120", name="ck_restructuring_instalments"),
        sa.CheckConstraint("instalment_amount IS NULL OR instalment_amount > 0", name="ck_restructuring_instalment"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("restructuring_agreement", schema=None) as batch_op:
        batch_op.create_index("ix_restructuring_agreement_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_restructuring_agreement_status", ["status"], unique=False)
    op.create_table(
        "restructuring_instalment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["restructuring_agreement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "seq", name="uq_restructuring_instalment_seq"),
    )
    with op.batch_alter_table("restructuring_instalment", schema=None) as batch_op:
        batch_op.create_index("ix_restructuring_instalment_agreement_id", ["agreement_id"], unique=False)
    op.create_table(
        "penalty_basis",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("building_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_mark", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.PrimaryKeyConstraint("period", "building_id"),
    )
    _kinds(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM charge_line WHERE kind = 'penalty'")
    _kinds(OLD_KINDS)
    op.drop_table("penalty_basis")
    with op.batch_alter_table("restructuring_instalment", schema=None) as batch_op:
        batch_op.drop_index("ix_restructuring_instalment_agreement_id")
    op.drop_table("restructuring_instalment")
    with op.batch_alter_table("restructuring_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_restructuring_agreement_status")
        batch_op.drop_index("ix_restructuring_agreement_account_id")
    op.drop_table("restructuring_agreement")
    with op.batch_alter_table("penalty_exemption", schema=None) as batch_op:
        batch_op.drop_index("ix_penalty_exemption_account_id")
    op.drop_table("penalty_exemption")
