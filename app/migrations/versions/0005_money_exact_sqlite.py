"""money stored exactly on SQLite (kopiyky as integers)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:15:00

SQLite has no decimal type: a NUMERIC(14, 2) value with a fraction is a binary float there,
and sums in SQL came out as −391.3100000000002. From this revision on the money columns
(``app.models.types.MONEY``) hold whole kopiyky on SQLite — 391.31 UAH is the INTEGER 39131 —
and the type converts. The columns keep their NUMERIC(14, 2) declaration (its affinity keeps
integers as integers), so no table is rebuilt: every stored value is multiplied by 100 and
rounded to a whole kopiyka, which also removes the float noise of balances summed in SQL.

The journal refuses UPDATE (migration 0001's triggers): its guards are dropped for the
conversion and created again, in the same transaction. PostgreSQL: nothing to do — NUMERIC is
exact there.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Every money column at revision 0004 (the models' MONEY columns).
MONEY_COLUMNS = (
    ("journal_entry", "amount"),
    ("payment", "amount"),
    ("subsidy", "amount"),
    ("billing_building", "charged"),
    ("billing_building", "recalculated"),
    ("charge_line", "amount"),
    ("closing_balance", "amount"),
    ("payment_posting", "advance"),
)

# Migration 0001's guards of the journal on SQLite, as they were created there.
JOURNAL_GUARD_MESSAGE = "journal entries are never updated or deleted; post a reversal"
JOURNAL_GUARDS = ("UPDATE", "DELETE")


def _drop_journal_guards():
    for action in JOURNAL_GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS journal_entry_no_{action.lower()}")


def _create_journal_guards():
    for action in JOURNAL_GUARDS:
        op.execute(f"""
                CREATE TRIGGER journal_entry_no_{action.lower()} BEFORE {action} ON journal_entry
                BEGIN
                    SELECT RAISE(ABORT, '{JOURNAL_GUARD_MESSAGE}');
                END;
            """)


def _convert(expression: str):
    """Rewrite every money value on SQLite with ``expression`` (``{c}`` is the column).

    One transaction: Python's sqlite3 opens it only at the first UPDATE (DDL alone would run
    in autocommit), so the other tables go first and the journal's guards are dropped only
    inside it — a failure leaves the guards and the values as they were."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return

    def update(table, column):
        op.execute(f"UPDATE {table} SET {column} = {expression.format(c=column)} WHERE {column} IS NOT NULL")

    for table, column in MONEY_COLUMNS:
        if table != "journal_entry":
            update(table, column)
    if not getattr(bind.connection.dbapi_connection, "in_transaction", True):
        raise RuntimeError("the journal's guards are dropped only inside a transaction")
    _drop_journal_guards()
    update("journal_entry", "amount")
    _create_journal_guards()


def upgrade():
    # гривні (a float, or an integer when the amount was whole) → whole kopiyky
    _convert("CAST(ROUND({c} * 100) AS INTEGER)")


def downgrade():
    # whole kopiyky → гривні as SQLAlchemy's NUMERIC stored them before (a float)
    _convert("{c} / 100.0")
