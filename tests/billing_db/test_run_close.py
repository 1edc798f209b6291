"""A billing run stores the open period's draft; closing freezes it into the journal, stores the
closing balances and opens the next month (billing.md §9–10)."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    BillingBuilding, BillingLock, BillingWarning, ChargeLine, ClosingBalance, JournalEntry, MeterMonth, Period,
    Reading,
)
from app.services.billing import lock as billing_lock
from app.services.billing import BillingError, run_billing
from app.services.billing import close_period
from app.services.periods import current_period

from .town import NOVEMBER, OCTOBER, amounts, create_town, explained, lines_of

OCTOBER_AMOUNTS = {
    ("E1-001", "UTR", "charge", OCTOBER): D("400.00"), ("E1-001", "TPV", "charge", OCTOBER): D("80.00"),
    ("E1-001", "CW", "charge", OCTOBER): D("180.00"), ("E1-001", "CW", "imbalance", OCTOBER): D("22.50"),
    ("E1-001", "HEAT", "charge", OCTOBER): D("10000.00"),
    ("E1-002", "UTR", "charge", OCTOBER): D("480.00"), ("E1-002", "TPV", "charge", OCTOBER): D("40.00"),
    ("E1-002", "CW", "charge", OCTOBER): D("90.00"), ("E1-002", "CW", "imbalance", OCTOBER): D("11.25"),
    ("E1-002", "HEAT", "charge", OCTOBER): D("12000.00"),
    ("E1-003", "UTR", "charge", OCTOBER): D("320.00"), ("E1-003", "TPV", "charge", OCTOBER): D("40.00"),
    ("E1-003", "CW", "charge", OCTOBER): D("90.00"), ("E1-003", "CW", "imbalance", OCTOBER): D("11.25"),
    ("E1-003", "HEAT", "charge", OCTOBER): D("8000.00"),
}


def _stored(session, period):
    """The draft as stored, without ids and timestamps."""
    return [tuple(r) for r in session.execute(
        select(ChargeLine.building_id, ChargeLine.account_id, ChargeLine.service_id, ChargeLine.kind,
               ChargeLine.detail_kind, ChargeLine.seq, ChargeLine.target_period, ChargeLine.date_from,
               ChargeLine.date_to, ChargeLine.days, ChargeLine.base_quantity, ChargeLine.quantity, ChargeLine.price,
               ChargeLine.amount, ChargeLine.method, ChargeLine.source, ChargeLine.reduction,
               ChargeLine.beneficiary_id, ChargeLine.explanation)
        .where(ChargeLine.period == period).order_by(ChargeLine.building_id, ChargeLine.seq)).all()]


def test_a_run_bills_the_open_month_to_the_kopiyka(bdb):
    session = db.session
    create_town()
    run = run_billing(user="test")
    assert run.status == "done" and run.buildings_done == 1 and run.accounts == 3
    assert amounts(session, OCTOBER) == OCTOBER_AMOUNTS
    sources = {(r[0], r[1], r[2]): r[6] for r in lines_of(session, OCTOBER, service_code="CW")}
    assert sources == {("E1-001", "CW", "charge"): "actual", ("E1-001", "CW", "imbalance"): "imbalance",
                       ("E1-002", "CW", "charge"): "norm", ("E1-002", "CW", "imbalance"): "imbalance",
                       ("E1-003", "CW", "charge"): "norm", ("E1-003", "CW", "imbalance"): "imbalance"}
    explanation = explained(session.scalar(select(ChargeLine.explanation).where(ChargeLine.kind == "imbalance")
                                 .order_by(ChargeLine.seq).limit(1)))
    assert "Небаланс будинку" in explanation and "13,500 − ΣVi 12,000 = Δ 1,500" in explanation
    assert session.scalar(select(func.count()).select_from(BillingBuilding)) == 1


def test_a_re_run_on_unchanged_data_stores_identical_lines(bdb):
    session = db.session
    create_town()
    run_billing()
    first = _stored(session, OCTOBER)
    warnings = session.scalars(select(BillingWarning.message).order_by(BillingWarning.id)).all()
    run_billing()
    assert _stored(session, OCTOBER) == first
    assert session.scalars(select(BillingWarning.message).order_by(BillingWarning.id)).all() == warnings
    run_billing(building_code="E1")
    assert _stored(session, OCTOBER) == first


def test_closing_freezes_the_draft_and_opens_the_next_month(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    summary = close_period(OCTOBER, "test")
    assert (summary.period, summary.next_period) == (OCTOBER, NOVEMBER)
    assert current_period() == NOVEMBER
    assert session.scalar(select(Period.status).where(Period.period == OCTOBER)) == "closed"
    entries = session.execute(select(JournalEntry.kind, func.count(), func.sum(JournalEntry.amount))
                              .group_by(JournalEntry.kind)).all()
    assert {k: (n, D(str(a)).quantize(D("0.01"))) for k, n, a in entries} == {
        "charge": (12, D("31720.00")), "imbalance": (3, D("45.00"))}
    entry = session.scalar(select(JournalEntry).where(JournalEntry.account_id == ids["accounts"][1],
                                                      JournalEntry.kind == "imbalance"))
    assert (entry.posting_period, entry.target_period, entry.value_date, entry.document) == (
        OCTOBER, OCTOBER, date(2026, 10, 31), f"billing-{OCTOBER}")
    assert entry.quantity == D("0.75") and entry.amount == D("22.50")
    balance = session.scalar(select(ClosingBalance.amount).where(
        ClosingBalance.account_id == ids["accounts"][1], ClosingBalance.service_id == ids["services"]["CW"],
        ClosingBalance.period == OCTOBER))
    assert balance == D("202.50")
    volumes = {r.meter_id: (r.volume, r.source, r.reading_date) for r in session.scalars(select(MeterMonth))}
    assert volumes[ids["meters"][1]] == (D("6"), "actual", date(2026, 10, 31))
    assert volumes[ids["meters"][2]] == (D("3"), "norm", None)
    with pytest.raises(BillingError, match="2026-11"):
        close_period(OCTOBER, "test")  # closed periods never reopen nor close twice


def test_closing_is_refused_when_data_changed_after_the_run(bdb):
    session = db.session
    ids = create_town()
    with pytest.raises(BillingError, match="E1"):
        close_period(OCTOBER)  # never billed
    run_billing()
    session.add(Reading(meter_id=ids["meters"][2], date=date(2026, 10, 30), value=D("53"), source="resident"))
    session.commit()
    with pytest.raises(BillingError, match="E1"):
        close_period(OCTOBER)
    assert current_period() == OCTOBER
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 0
    run_billing()
    assert amounts(session, OCTOBER)[("E1-002", "CW", "charge", OCTOBER)] == D("90.00")  # 53 − 50 = 3 m³ actual
    assert lines_of(session, OCTOBER, account_id=ids["accounts"][2], service_code="CW", kind="charge")[0][6] == "actual"
    close_period(OCTOBER)
    assert current_period() == NOVEMBER


def test_a_change_that_touches_only_later_months_does_not_stop_the_close(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    session.add(Reading(meter_id=ids["meters"][1], date=date(2026, 11, 20), value=D("110"), source="resident"))
    session.commit()
    close_period(OCTOBER)


def test_a_second_run_or_a_close_while_a_run_holds_the_period_is_refused(bdb):
    session = db.session
    create_town()
    billing_lock.acquire(session, OCTOBER, "run", None, "колега")
    with pytest.raises(BillingError, match="колега"):
        run_billing()
    with pytest.raises(BillingError, match="колега"):
        close_period(OCTOBER)
    billing_lock.release(session, OCTOBER)
    assert run_billing().status == "done"
    assert session.scalar(select(func.count()).select_from(BillingLock)) == 0


def test_a_stale_lock_of_a_dead_process_is_taken_over(bdb):
    session = db.session
    create_town()
    billing_lock.acquire(session, OCTOBER, "run", None, "crashed")
    lock = session.get(BillingLock, OCTOBER)
    lock.heartbeat_at = billing_lock.now() - billing_lock.stale() * 2
    session.commit()
    assert run_billing().status == "done"


def test_only_the_open_period_is_billed(bdb):
    create_town()
    with pytest.raises(BillingError, match="2026-10"):
        run_billing("2026-09")
    with pytest.raises(BillingError, match="ZZ"):
        run_billing(building_code="ZZ")
