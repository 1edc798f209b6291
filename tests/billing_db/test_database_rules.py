"""What the database itself guarantees, on SQLite and on PostgreSQL: journal entries are never
updated or deleted (billing.md §9), and every change of billing data is logged for the close
and the recalculation (migration 0003)."""
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import BillingChange, JournalEntry, Premise, Reading, Registration, Setting, Tariff
from app.services.billing import run_billing
from app.services.billing import close_period

from .town import OCTOBER, create_town


def _refused(statement):
    with pytest.raises(sa.exc.DatabaseError, match="never updated or deleted"):
        with db.engine.begin() as conn:
            conn.execute(sa.text(statement))


def test_the_database_refuses_to_update_or_delete_journal_entries(bdb_any):
    session = db.session
    create_town()
    run_billing()
    close_period(OCTOBER)
    entry_id, amount = session.execute(select(JournalEntry.id, JournalEntry.amount).limit(1)).one()
    session.rollback()
    _refused(f"UPDATE journal_entry SET amount = 0 WHERE id = {entry_id}")
    _refused(f"DELETE FROM journal_entry WHERE id = {entry_id}")
    _refused("DELETE FROM journal_entry")
    if db.engine.dialect.name == "postgresql":
        _refused("TRUNCATE journal_entry")
    assert session.scalar(select(JournalEntry.amount).where(JournalEntry.id == entry_id)) == amount


def _log(session, since=0):
    session.expire_all()
    return [(r.building_id, r.day, r.source) for r in session.scalars(
        select(BillingChange).where(BillingChange.id > since).order_by(BillingChange.id))]


def test_changes_of_billing_data_are_logged_with_their_building_and_first_day(bdb_any):
    session = db.session
    ids = create_town()
    session.add(Reading(meter_id=ids["meters"][2], date=date(2026, 10, 3), value=D("51"), source="resident"))
    session.commit()
    assert _log(session) == []  # nothing is logged before billing starts
    run_billing()
    building = ids["building"]
    mark = session.scalar(select(sa.func.coalesce(sa.func.max(BillingChange.id), 0)))

    session.add(Reading(meter_id=ids["meters"][2], date=date(2026, 10, 20), value=D("52"), source="resident"))
    session.commit()
    assert _log(session, mark) == [(building, date(2026, 10, 20), "reading")]

    mark = session.scalar(select(sa.func.max(BillingChange.id)))
    registration = session.scalars(select(Registration).where(Registration.premise_id == ids["premises"][2])).one()
    registration.date_to = date(2026, 10, 12)
    session.commit()
    assert _log(session, mark) == [(building, date(2026, 10, 12), "registration")]

    mark = session.scalar(select(sa.func.max(BillingChange.id)))
    session.add(Tariff(service_id=ids["services"]["CW"], valid_from=date(2026, 10, 16), price=D("33")))
    session.add(Setting(key="write_off.limitation_months", valid_from=date(2026, 1, 1), value="36"))  # not a billing input
    session.commit()
    assert _log(session, mark) == [(None, date(2026, 10, 16), "tariff")]

    mark = session.scalar(select(sa.func.max(BillingChange.id)))
    session.add(Setting(key="invoice.due_day", valid_from=date(2026, 1, 1), value="25"))  # the penalty's due day (0023)
    session.commit()
    assert _log(session, mark) == [(None, date(2026, 1, 1), "setting")]

    mark = session.scalar(select(sa.func.max(BillingChange.id)))
    premise = session.get(Premise, ids["premises"][1])
    premise.total_area = premise.total_area  # no change: nothing logged
    session.commit()
    premise.total_area = D("51")
    session.commit()
    assert _log(session, mark) == [(building, None, "premise")]

    mark = session.scalar(select(sa.func.max(BillingChange.id)))
    reading = session.scalars(select(Reading).where(Reading.value == D("52"))).one()
    session.delete(reading)
    session.commit()
    assert _log(session, mark) == [(building, date(2026, 10, 20), "reading")]
