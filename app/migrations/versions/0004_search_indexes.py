"""search indexes: reading (date, id); trigram indexes on PostgreSQL (bench/README.md #5, #7)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 05:45:00

* ``reading (date, id)`` replaces ``ix_reading_date (date)`` on both databases: the readings
  list orders by ``date DESC, id DESC`` (Flask-AppBuilder adds the id), which the old index
  could only serve with a sort of every skipped row (deep pages).
* PostgreSQL only: the ``pg_trgm`` extension and GIN ``gin_trgm_ops`` indexes, so that
  ``ILIKE '%…%'`` / ``ILIKE '…%'`` (search filters and pickers) need not read every name,
  account, serial or address. If the extension cannot be created (not installed on the
  server, or the user may not create it), the trigram indexes are skipped with a warning and
  the upgrade goes on: searches work, only slower. They are not declared on the models
  (SQLite has no such indexes); ``alembic check`` on PostgreSQL lists them as extra.
  On SQLite this part does nothing.
"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# (index name, table, column)
TRIGRAM_INDEXES = (
    ("ix_resident_full_name_trgm", "resident", "full_name"),
    ("ix_account_owner_name_trgm", "account", "owner_name"),
    ("ix_account_account_number_trgm", "account", "account_number"),
    ("ix_meter_serial_trgm", "meter", "serial"),
    ("ix_building_address_trgm", "building", "address"),
)


def _create_pg_trgm(bind) -> bool:
    """CREATE EXTENSION pg_trgm in a savepoint: a refusal must not abort the migration."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        log.warning("pg_trgm extension not available (%s): trigram search indexes skipped; "
                    "text searches work, without an index.", message)
        return False
    return True


def upgrade():
    op.create_index('ix_reading_date_id', 'reading', ['date', 'id'], unique=False)
    op.drop_index('ix_reading_date', table_name='reading')

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not _create_pg_trgm(bind):
        return
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(name, table, [column], unique=False, postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, table, _column in TRIGRAM_INDEXES:
            bind.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
        # the pg_trgm extension stays: other objects of the database may use it

    op.create_index('ix_reading_date', 'reading', ['date'], unique=False)
    op.drop_index('ix_reading_date_id', table_name='reading')
