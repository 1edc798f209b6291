"""Money is exact in the database (app/models/types.py MONEY, migration 0005): whole kopiyky as
integers on SQLite — sums in SQL such as the closing balances are exact — NUMERIC(14, 2) on
PostgreSQL; and an SQLite database of revision 0004 with float money is converted exactly."""
import os
import shutil
import tempfile
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.models.types import MONEY, from_kopiyky, to_kopiyky

# Amounts whose float sum is not their decimal sum (0.1 + 0.2 = 0.30000000000000004 …).
AMOUNTS = [D("0.10")] * 10 + [D("0.20")] * 7 + [D("-391.31"), D("0.07"), D("1234.56"), D("-0.03"), D("0.29"),
                                                  D("-17.17"), D("333.33"), D("0.01")]


def test_kopiyky_conversion_is_exact_and_refuses_fractions_of_a_kopiyka():
    assert [to_kopiyky(v) for v in (D("391.31"), D("-391.31"), D("0.29"), D("100"), D("0.10"), 7)] == \
        [39131, -39131, 29, 10000, 10, 700]
    assert to_kopiyky("12,50") == 1250 and to_kopiyky(0.29) == 29 and to_kopiyky(None) is None
    for bad in (D("1.005"), D("0.001"), "0.125", 0.125, D("NaN"), D("Infinity")):
        with pytest.raises(ValueError):
            to_kopiyky(bad)
    for bad in (True, object()):
        with pytest.raises(TypeError):
            to_kopiyky(bad)
    assert [str(from_kopiyky(v)) for v in (39131, -39131, 0, 29, 10000, 39131.0, "39131")] == \
        ["391.31", "-391.31", "0.00", "0.29", "100.00", "391.31", "391.31"]
    assert from_kopiyky(-39131 / 2) == D("-195.655") and from_kopiyky(None) is None  # money / 2 in SQL


def _close_with_amounts(amounts):
    """The billing town's October closed with ``amounts`` posted as opening balances of flat 1's
    UTR: returns (account, service, the expected closing balance)."""
    from app.extensions import db
    from app.models import JournalEntry
    from app.services.billing import run_billing
    from app.services.billing import close_period

    from .town import OCTOBER, create_town

    session = db.session
    ids = create_town()
    account, service = ids["accounts"][1], ids["services"]["UTR"]
    session.add_all([JournalEntry(kind="opening_balance", account_id=account, service_id=service,
                                  posting_period=OCTOBER, value_date=date(2026, 10, 1), target_period=OCTOBER,
                                  amount=amount, document="opening") for amount in amounts])
    session.commit()
    run_billing()
    close_period(OCTOBER)
    return account, service, D("400.00") + sum(amounts, D("0.00"))  # UTR: 50 м² × 8,00


def test_a_closing_balance_summed_in_sql_is_exact(bdb_any):
    from app.extensions import db
    from app.models import ClosingBalance, JournalEntry

    assert sum(float(a) for a in AMOUNTS) + 400.0 != float(sum(AMOUNTS) + 400)  # a float sum would be off
    session = db.session
    account, service, expected = _close_with_amounts(AMOUNTS)
    balance = session.scalar(select(ClosingBalance.amount).where(ClosingBalance.account_id == account,
                                                                 ClosingBalance.service_id == service))
    assert balance == expected and balance.as_tuple().exponent == -2, balance
    total = session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.account_id == account,
                                                                        JournalEntry.service_id == service))
    assert total == expected and isinstance(total, D)
    raw = session.execute(sa.text("SELECT amount FROM closing_balance WHERE account_id = :a AND service_id = :s"),
                          {"a": account, "s": service}).scalar()
    if db.engine.dialect.name == "sqlite":
        assert type(raw) is int and raw == int(expected * 100), raw  # whole kopiyky, no float in between
        kinds = {row[0] for row in session.execute(sa.text(
            "SELECT DISTINCT typeof(amount) FROM closing_balance UNION SELECT DISTINCT typeof(amount) "
            "FROM journal_entry UNION SELECT DISTINCT typeof(amount) FROM charge_line"))}
        assert kinds == {"integer"}
    else:
        assert raw == expected and isinstance(raw, D)


def test_sql_expressions_of_money_read_back_as_money(bdb_any):
    """What the services may write in SQL: aggregates, coalesce, CASE, a union, money ×/÷ a
    number, money compared with a literal — the same Decimal on both databases."""
    from app.extensions import db
    from app.models import ClosingBalance, JournalEntry

    session = db.session
    account, service, expected = _close_with_amounts([D("-391.31"), D("0.10")])
    amount = ClosingBalance.amount
    mine = (ClosingBalance.account_id == account, ClosingBalance.service_id == service)
    row = session.execute(select(
        func.sum(amount), func.coalesce(func.sum(amount), 0), func.max(amount), -amount, amount * 2,
        amount * D("1.5"), amount / 4, amount + D("0.01"), sa.case((amount > 0, amount), else_=0),
        sa.case((amount < 0, amount), else_=0),
    ).where(*mine).group_by(amount)).one()
    assert expected == D("8.79")  # 400,00 − 391,31 + 0,10
    assert [D(v) for v in row] == [expected, expected, expected, -expected, 2 * expected, D("13.185"),
                                   D("2.1975"), D("8.80"), expected, 0]
    assert all(isinstance(v, D) for v in row)
    assert session.scalar(select(func.count()).where(amount > D("8.78"), amount < D("8.80"), *mine)) == 1
    assert session.scalar(select(func.count()).where(amount == str(expected), *mine)) == 1
    assert session.scalar(select(func.count()).where(amount.between(0, 9), *mine)) == 1
    assert session.scalar(select(func.coalesce(func.sum(amount), 0)).where(ClosingBalance.account_id == -1)) == 0
    nothing = ClosingBalance.account_id == -1
    assert session.scalar(select(func.coalesce(func.sum(amount), sa.literal(D("5.10"), MONEY))).where(nothing)) == \
        D("5.10")  # a money literal is typed as money
    parts = select(ClosingBalance.amount).where(*mine).union_all(
        select(JournalEntry.amount).where(JournalEntry.account_id == account, JournalEntry.service_id == service)
    ).subquery()
    assert session.scalar(select(func.sum(parts.c.amount))) == 2 * expected
    # compared, a value may have a fraction of a kopiyka (a list filter); stored, it is refused
    assert session.scalar(select(func.count()).where(amount < D("8.795"), amount > "8,785", *mine)) == 1
    assert session.scalar(select(func.count()).where(amount == D("8.795"), *mine)) == 0
    session.rollback()
    with pytest.raises(sa.exc.StatementError, match="at most two decimals"):
        session.execute(sa.insert(ClosingBalance), [dict(period="2027-01", account_id=account, amount=D("8.795"))])
    session.rollback()


def test_driver_rows_are_the_rows_sqlalchemy_reads_as_plain_tuples(bdb_any):
    """``sql.driver_rows`` (the charges report's reader): the same values, of the same types and
    exponents, as SQLAlchemy's own rows — money, quantities, prices, dates, text and NULLs — on
    both databases, with bound parameters and an IN list."""
    from app.extensions import db
    from app.models import ChargeLine, JournalEntry
    from app.services.sql import driver_rows

    session = db.session
    _close_with_amounts([D("-391.31"), D("0.10")])
    connection = session.connection()
    lines = select(ChargeLine.account_id, ChargeLine.kind, ChargeLine.target_period, ChargeLine.quantity,
                   ChargeLine.price, ChargeLine.amount, ChargeLine.explanation, sa.literal(None).label("empty"))
    entries = select(JournalEntry.id, JournalEntry.amount, JournalEntry.value_date, JournalEntry.kind)
    ids = list(session.scalars(select(ChargeLine.account_id).distinct()))
    for stmt in (lines, lines.where(ChargeLine.account_id.in_(ids[:3]), ChargeLine.amount > D("0.01")), entries):
        expected = [tuple(r) for r in connection.execute(stmt.order_by(*stmt.selected_columns[:1]))]
        found = driver_rows(connection, stmt.order_by(*stmt.selected_columns[:1]))
        assert expected and found == expected
        assert [[(type(v), v.as_tuple() if isinstance(v, D) else v) for v in r] for r in found] == \
            [[(type(v), v.as_tuple() if isinstance(v, D) else v) for v in r] for r in expected]
        assert all(type(r) is tuple for r in found)
    assert all(r[7] is None for r in driver_rows(connection, lines))  # NULLs stay None
    session.rollback()


@pytest.mark.parametrize("places", [0, 2])
def test_trimmed_in_sql_is_money_trim(bdb_any, places):
    """``sql.trimmed`` (PostgreSQL's trim_scale, for the charges report) gives the very Decimal —
    value and exponent — that ``money.trim`` gives in Python, zero and whole numbers included;
    on SQLite it is None and the report trims in Python."""
    from app.billing.money import trim
    from app.extensions import db
    from app.models.types import PRICE, QUANTITY
    from app.services.sql import trimmed

    session = db.session
    dialect = session.connection().dialect
    column = sa.literal_column("v", QUANTITY if places == 0 else PRICE)
    if dialect.name != "postgresql":
        assert trimmed(column, places, dialect) is None
        return
    values = ["0", "0.0000", "100.0000", "2.5000", "0.0010", "-5.5000", "7.95689", "30.00000", "30.10000",
              "1200.00000", "-0.00100", "12345678.1234", "0.00001"]
    expression = trimmed(column, places, dialect).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    stmt = sa.text(f"SELECT ({expression}) FROM "
                   f"(VALUES {', '.join(f'(CAST({v!r} AS NUMERIC(16, 5)))' for v in values)}) AS t(v)")
    found = list(session.scalars(stmt))
    stored = [D(v).quantize(D("0.00001")) for v in values]  # as the column holds them: five decimals
    assert [(str(f), f.as_tuple().exponent) for f in found] == \
        [(str(trim(v, places)), trim(v, places).as_tuple().exponent) for v in stored]
    session.rollback()


def test_numeric_money_is_read_without_a_python_call_per_value_and_kopiyky_are_converted():
    """PostgreSQL gives a Decimal: read as it comes (a report reads 750,000 amounts); SQLite's whole
    kopiyky go through the conversion."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.models.types import Money

    assert Money().result_processor(postgresql.psycopg2.dialect(), 1700) is None
    convert = Money().result_processor(sqlite.dialect(), None)
    assert convert is not None and convert(12345) == D("123.45") and convert(0) == D("0.00")


def test_money_columns_are_numeric_14_2_in_the_database(bdb_any):
    """PostgreSQL: NUMERIC(14, 2); SQLite: the same declaration (its affinity keeps integers)."""
    from app.extensions import db

    inspector = sa.inspect(db.engine)
    for table, column in (("journal_entry", "amount"), ("closing_balance", "amount"), ("payment", "amount"),
                          ("subsidy", "amount"), ("charge_line", "amount"), ("billing_building", "charged"),
                          ("billing_building", "recalculated"), ("payment_posting", "advance")):
        found = {c["name"]: c["type"] for c in inspector.get_columns(table)}[column]
        assert isinstance(found, sa.Numeric) and (found.precision, found.scale) == (14, 2), (table, found)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            types = set(conn.execute(sa.text(
                "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_name = 'journal_entry' "
                "AND column_name = 'amount'")).scalars())
        assert types == {"numeric"}


def test_every_money_column_of_the_models_uses_the_money_type():
    """A ``Numeric(14, 2)`` column left out of MONEY would store floats on SQLite again."""
    from flask_appbuilder import Model

    import app.models  # noqa: F401
    from app.models.types import Money

    money = []
    for table in Model.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Money):
                money.append((table.name, column.name))
            else:
                assert not (isinstance(column.type, sa.Numeric)
                            and (column.type.precision, column.type.scale) == (14, 2)), (table.name, column.name)
    # migration 0005 converted money columns only (later revisions create theirs as kopiyky already)
    assert set(_migration().MONEY_COLUMNS) <= set(money)


def test_a_payment_with_a_fraction_of_a_kopiyka_is_refused_with_a_message(app, db_session):
    from app.models import Account, Payment
    from app.validation import validate

    account = db_session.scalar(select(Account).limit(1))
    errors = validate(db_session, Payment(external_id="X-1", account=account, paid_on=date(2026, 11, 1),
                                          amount=D("100.125"), source="cash"))
    assert [e.field for e in errors] == ["amount"] and "копійки" in errors[0].message, errors
    assert validate(db_session, Payment(external_id="X-2", account=account, paid_on=date(2026, 11, 1),
                                        amount=D("100.120"), source="cash")) == []


# --- migration 0005 ----------------------------------------------------------------------------

def _migration():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "app/migrations/versions/0005_money_exact_sqlite.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Floats as SQLite held them before 0005: noise from sums in SQL, a whole amount (NUMERIC
# affinity stored 100.0 as the integer 100), negatives, a kopiyka.
OLD_VALUES = [-391.3100000000002, 100.0, 0.30000000000000004, 0.29, -0.01, 1234567.89]
KOPIYKY = [-39131, 10000, 30, 29, -1, 123456789]


@pytest.fixture()
def sqlite_at_0004():
    from tests.conftest import make_app

    directory = tempfile.mkdtemp(prefix="oblik-money-")
    application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(directory, 'old.db')}")
    with application.app_context():
        from flask import current_app
        from flask_migrate import upgrade

        from app.extensions import db

        migrations = current_app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="0004")
        yield db, migrations
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(directory, ignore_errors=True)


def _old_rows(conn):
    """One row per value in every money table, written as 0004 stored them (floats)."""
    run = conn.exec_driver_sql
    run("INSERT INTO billing_run (id, period, status, buildings_total, buildings_done, chunks_total, chunks_done, "
        "accounts, lines, warnings) VALUES (1, '2026-10', 'done', 0, 0, 0, 0, 0, 0, 0)")
    for n, value in enumerate(OLD_VALUES, start=1):
        run("INSERT INTO journal_entry (id, kind, account_id, service_id, posting_period, value_date, target_period, "
            "amount) VALUES (?, 'charge', 1, 1, '2026-10', '2026-10-31', '2026-10', ?)", (n, value))
        run("INSERT INTO payment (id, external_id, account_id, paid_on, amount, source) "
            "VALUES (?, ?, 1, '2026-10-10', ?, 'cash')", (n, f"P-{n}", value))
        run("INSERT INTO subsidy (id, account_id, period, amount) VALUES (?, 1, ?, ?)", (n, f"2026-{n:02d}", value))
        run("INSERT INTO billing_building (id, period, building_id, run_id, change_mark, accounts, lines, warnings, "
            "charged, recalculated) VALUES (?, ?, 1, 1, 0, 0, 0, 0, ?, ?)", (n, f"2026-{n:02d}", value, -value))
        run("INSERT INTO charge_line (id, period, target_period, building_id, account_id, service_id, kind, seq, "
            "amount) VALUES (?, '2026-10', '2026-10', 1, 1, 1, 'charge', ?, ?)", (n, n, value))
        run("INSERT INTO closing_balance (id, period, account_id, service_id, amount) VALUES (?, '2026-10', 1, 1, ?)",
            (n, value))
        run("INSERT INTO payment_posting (payment_id, period, advance, spread) VALUES (?, '2026-10', ?, 1)",
            (n, value))


def _money_values(conn):
    values = {}
    for table, column in _migration().MONEY_COLUMNS:
        key = "payment_id" if table == "payment_posting" else "id"
        values[(table, column)] = conn.exec_driver_sql(
            f"SELECT {column}, typeof({column}) FROM {table} ORDER BY {key}").all()
    return values


def _journal_refuses_changes(conn_factory):
    for statement in ("UPDATE journal_entry SET amount = 0 WHERE id = 1", "DELETE FROM journal_entry WHERE id = 1",
                      "DELETE FROM journal_entry"):
        with pytest.raises(sa.exc.DatabaseError, match="never updated or deleted"):
            with conn_factory() as conn:
                conn.exec_driver_sql(statement)


def test_migration_0005_turns_sqlite_float_money_into_exact_kopiyky(sqlite_at_0004):
    from flask_migrate import downgrade, upgrade

    from app.models import ClosingBalance, JournalEntry, Payment

    db, migrations = sqlite_at_0004
    with db.engine.begin() as conn:
        conn.execute(sa.text("PRAGMA foreign_keys=OFF"))  # money rows without their accounts and buildings
        _old_rows(conn)
    with db.engine.connect() as conn:
        before = _money_values(conn)
    assert before[("journal_entry", "amount")][1] == (100, "integer")  # whole hryvnias were integers already
    assert before[("journal_entry", "amount")][0] == (-391.3100000000002, "real")

    upgrade(directory=migrations, revision="0005")
    with db.engine.connect() as conn:
        after = _money_values(conn)
    for (table, column), rows in after.items():
        expected = [-k for k in KOPIYKY] if column == "recalculated" else KOPIYKY
        assert rows == [(k, "integer") for k in expected], (table, column)
    _journal_refuses_changes(db.engine.begin)
    session = db.session
    assert session.scalars(select(JournalEntry.amount).order_by(JournalEntry.id)).all() == \
        [D("-391.31"), D("100.00"), D("0.30"), D("0.29"), D("-0.01"), D("1234567.89")]
    assert session.scalar(select(func.sum(ClosingBalance.amount))) == D("1234277.16")
    assert session.scalar(select(func.sum(Payment.amount))) == D("1234277.16")
    session.rollback()

    downgrade(directory=migrations, revision="0004")  # back to hryvnias as floats, guards kept
    with db.engine.connect() as conn:
        back = _money_values(conn)
    assert [float(v) for v, _t in back[("closing_balance", "amount")]] == \
        [-391.31, 100.0, 0.3, 0.29, -0.01, 1234567.89]
    assert back[("closing_balance", "amount")][0][1] == "real"
    _journal_refuses_changes(db.engine.begin)
