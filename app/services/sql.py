"""Set-based helpers every service shares: lists cut into ``IN (…)`` parts, many rows written
at once (PostgreSQL's ``COPY``), many rows read as plain tuples (:func:`driver_rows`), and the
SQL form of a date-range overlap.
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


def driver_rows(connection, stmt) -> list[tuple]:
    """All rows of a Core ``select`` as the database driver returns them — plain tuples, not
    SQLAlchemy's Row objects (building a Row costs about 2.5 µs, seconds for a report of 750,000
    lines) — with each column's result processor applied where the dialect needs one (SQLite's
    money stored as whole kopiyky, its decimals); on PostgreSQL psycopg2 already returns every
    column in its Python type and the driver's list is returned as it is."""
    result = connection.execute(stmt)
    try:
        cursor = result.cursor
        dialect = connection.dialect
        processors = [(i, p) for i, (column, described) in enumerate(zip(stmt.selected_columns, cursor.description))
                      if (p := column.type.dialect_impl(dialect).result_processor(dialect, described[1])) is not None]
        rows = cursor.fetchall()
    finally:
        result.close()
    if not processors:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for i, process in processors:
            row[i] = process(row[i])
        converted.append(tuple(row))
    return converted


def trimmed(column, places: int, dialect):
    """:func:`app.billing.money.trim` in SQL — the value without the column's padding zeros,
    keeping at least ``places`` decimals — on PostgreSQL (``trim_scale``, PostgreSQL 13 and
    newer), so that a report of a million values does not trim them in Python; None elsewhere
    (the caller trims in Python)."""
    if dialect.name != "postgresql":
        return None
    from sqlalchemy import case, func, type_coerce

    short = func.trim_scale(column, type_=column.type)
    if not places:
        return short
    return type_coerce(case((func.scale(short) < places, func.round(column, places)), else_=short), column.type)


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
