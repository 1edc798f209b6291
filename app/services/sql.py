"""Set-based helpers every service shares: lists cut into ``IN (…)`` parts, many rows written
at once (PostgreSQL's ``COPY``), and the SQL form of a date-range overlap.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import and_, insert, or_

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


def insert_rows(connection, table, columns, rows) -> None:
    """Insert many rows (tuples in ``columns`` order) in the connection's transaction:
    PostgreSQL with psycopg2 gets a ``COPY … FROM STDIN`` (several times faster than INSERT
    for tens of thousands of rows, the same constraints and triggers), any other database an
    executemany. ``connection`` may be a session. Texts keep an empty string apart from NULL."""
    if hasattr(connection, "connection") and not hasattr(connection, "dialect"):
        connection = connection.connection()  # a Session
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg2":
        connection.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
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
