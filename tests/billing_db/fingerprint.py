"""A fingerprint of what billing produces for a known scenario of the demo town: sha256 over
every charge line of two runs, the journal of the close between them and the recalculations
of the second run, each row with every column but its id, in a fixed order, numbers without
the database's padding zeros.

The scenario: the demo town of 300 accounts (seed 2026) loaded as on 1 December 2026 (open
period 2026-11) and billed; 2026-11 closed; then a price from 2026-11-01, an area change from
2026-11-01 and a November reading corrected — all three reach the closed month — and 2026-12
billed with its recalculations.

The constant in test_fingerprint.py was computed by the code before app/services/billing/
(commit 78895ca) with this same file, which also runs there:

    PYTHONPATH=<worktree of 78895ca> .venv/bin/python tests/billing_db/fingerprint.py [DATABASE_URL]
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import sys
from decimal import Decimal

TODAY = _dt.date(2026, 12, 1)
FIRST, SECOND = "2026-11", "2026-12"

LINE_COLUMNS = ("period", "target_period", "building_id", "account_id", "service_id", "kind", "detail_kind", "seq",
                "date_from", "date_to", "days", "base_quantity", "quantity", "price", "amount", "method", "source",
                "reduction", "beneficiary_id", "explanation")
ENTRY_COLUMNS = ("kind", "account_id", "service_id", "posting_period", "value_date", "target_period", "quantity",
                 "amount", "document", "detail_kind")


class _FixedDate(_dt.date):
    @classmethod
    def today(cls):
        return TODAY


def _run_billing():
    try:
        from app.services.billing import run_billing
    except ImportError:  # the code before the split
        from app.services.billing import run_billing
    run = run_billing()
    assert run.status == "done", run.message
    return run


def _text(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, float):  # SQLite may hand a NUMERIC back as a float
        return _text(Decimal(repr(value)))
    return "" if value is None else str(value)


def _rows(session, table, columns, where, order):
    """The rows read through the tables' column types (money as the model reads it: on SQLite the
    column holds whole kopiyky since migration 0005)."""
    import sqlalchemy as sa

    from app.models import JournalEntry

    t = JournalEntry.metadata.tables[table]
    stmt = sa.select(*[t.c[c] for c in columns]).where(sa.text(where)).order_by(sa.text(order))
    # the explanation as the Ukrainian screen reads it: stored as phrases since the explanations
    # became codes (app/billing/phrases.py), the same sentences as the text stored before
    try:
        from app.billing.phrases import ukrainian
        render = ukrainian().text
    except ImportError:  # the code before the phrases
        render = _text
    shown = [render if c == "explanation" else _text for c in columns]
    return ["\t".join(f(v) for f, v in zip(shown, row)) for row in session.execute(stmt)]


def scenario(session) -> dict:
    """Run the scenario on an empty migrated database (app context pushed); returns the
    counts and the sha256 of its rows."""
    import sqlalchemy as sa

    from app.models import AreaChange, Premise, Reading, Tariff
    from app.services import demo
    from app.services.billing import close_period

    real_date = demo.date
    demo.date = _FixedDate
    try:
        import inspect

        # the scenario has no opening balances (the demo's old debts came later)
        extra = {"opening_debts": False} if "opening_debts" in inspect.signature(demo.load_demo).parameters else {}
        demo.load_demo(accounts=300, seed=2026, **extra)
    finally:
        demo.date = real_date
    session.commit()
    assert session.scalar(sa.text("SELECT period FROM period WHERE status = 'open'")) == FIRST
    _run_billing()
    first = _rows(session, "charge_line", LINE_COLUMNS, f"period = '{FIRST}'", "building_id, seq")
    close_period(FIRST)
    journal = _rows(session, "journal_entry", ENTRY_COLUMNS, f"posting_period = '{FIRST}'",
                    "kind, account_id, service_id, target_period, detail_kind, document, amount")

    tariff = session.scalars(sa.select(Tariff).order_by(Tariff.service_id, Tariff.valid_from.desc())).first()
    session.add(Tariff(service_id=tariff.service_id, valid_from=_dt.date(2026, 11, 1), price=tariff.price + 1))
    premise = session.scalars(sa.select(Premise).order_by(Premise.id)).first()
    session.add(AreaChange(premise_id=premise.id, valid_from=_dt.date(2026, 11, 1),
                           total_area=premise.total_area + 10, heated_area=None))
    reading = session.scalars(sa.select(Reading).where(Reading.date >= _dt.date(2026, 11, 1),
                                                       Reading.source != "estimate").order_by(Reading.id)).first()
    reading.value = reading.value + 1
    session.commit()

    _run_billing()
    second = _rows(session, "charge_line", LINE_COLUMNS, f"period = '{SECOND}'", "building_id, seq")
    recalculations = sum(1 for line in second if "\trecalculation\t" in line)
    digest = hashlib.sha256("\n".join(first + ["--"] + journal + ["--"] + second).encode()).hexdigest()
    return {"first": len(first), "journal": len(journal), "second": len(second), "recalculations": recalculations,
            "sha256": digest}


def main(url: str) -> None:
    from app import create_app
    from app.extensions import db
    from app.services.setup import upgrade_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade_database()
        print(scenario(db.session))


if __name__ == "__main__":
    import os
    import tempfile

    main(sys.argv[1] if len(sys.argv) > 1
         else f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='oblik-fingerprint-'), 'f.db')}")
