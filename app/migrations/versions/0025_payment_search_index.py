"""a trigram index on the payment's identifier (PostgreSQL): the payments list's search box
(``search.payment_word``) looks for a receipt's or a bank's identifier inside
``payment.external_id`` (``ILIKE '%…%'``), which without it reads every payment — about a
million a year at 100,000 accounts.

As in 0004: PostgreSQL only, and only where the ``pg_trgm`` extension is installed (0004 creates
it when the server allows; otherwise the index is skipped with a warning and the search works,
without an index). On SQLite this migration does nothing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 19:00:00
"""
import logging

from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# (index name, table, column)
TRIGRAM_INDEXES = (("ix_payment_external_id_trgm", "payment", "external_id"),)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar():
        log.warning("pg_trgm extension not installed: the payment identifier's trigram index is skipped; "
                    "the payments search works, without an index.")
        return
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(name, table, [column], unique=False, postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, _table, _column in TRIGRAM_INDEXES:
            bind.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
