"""Set-based helpers every service shares: lists cut into ``IN (…)`` parts, many rows written
at once (PostgreSQL's ``COPY``), and the SQL form of a date-range overlap.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import and_, insert, or_, text

PART = 5000  # values of one IN list (10,000 parameters for a pair: within SQLite's 32,766)
_NULL = "\\N"


def parts(values, size: int = PART):
    """``values`` (any iterable) in lists of at most ``size``."""
    values = values if isinstance(values, list) else list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def overlapping(col_from, col_to, first, last):
    """SQL: the row's inclusive range ``col_from … col_to`` (empty end = open) meets
    ``first … last`` (:func:`app.billing.periods.overlaps` in SQL)."""
    return and_(col_from <= last, or_(col_to.is_(None), col_to >= first))


def insert_rows(connection, table, columns, rows, *, audit: bool = True) -> None:
    """Insert many rows (tuples in ``columns`` order) in the connection's transaction:
    PostgreSQL with psycopg2 gets a ``COPY … FROM STDIN`` (several times faster than INSERT
    for tens of thousands of rows, the same constraints and triggers), any other database an
    executemany. ``connection`` may be a session. Texts keep an empty string apart from NULL.

    A table of the audit log (``app.services.audit.AUDITED``) gets its audit rows in the same
    transaction, one bulk insert for the batch: the new ids are taken from the table's sequence
    before the COPY (PostgreSQL) or returned by the INSERT (any other database)."""
    if hasattr(connection, "connection") and not hasattr(connection, "dialect"):
        connection = connection.connection()  # a Session
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return
    from . import audit as audit_log

    audited = audit and audit_log.enabled(table.name) and "id" in table.c and "id" not in columns
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg2":
        params = [dict(zip(columns, row)) for row in rows]
        if audited:
            result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), params)
            audit_log.record_inserts(connection, table, columns, rows, [r[0] for r in result])
        else:
            connection.execute(insert(table), params)
        return
    if audited:  # the ids first, from the table's own sequence: the COPY writes them
        ids = list(connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}).scalars())
        columns = ["id", *columns]
        rows = [(record_id, *row) for record_id, row in zip(ids, rows)]
    _copy(connection, table, columns, rows)
    if audited:
        audit_log.record_inserts(connection, table, columns, rows, ids)


def _copy(connection, table, columns, rows) -> None:
    dialect = connection.dialect
    buffer = io.StringIO()
    # csv writes None and "" alike (an empty field): NULL is spelt \N, texts as they are.
    csv.writer(buffer).writerows([[_NULL if v is None else v for v in row] for row in rows])
    buffer.seek(0)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {quote(table.name)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
    finally:
        cursor.close()
