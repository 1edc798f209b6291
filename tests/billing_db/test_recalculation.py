"""Recalculation of closed periods by delta (billing.md §10), the true-up after estimates (§4):
the worked November of scenario.py, made with the ORM (test_e2e.py makes it through imports)."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    BillingChange, ChargeLine, JournalEntry, MeterMonth, MeterMonthDraft, Reading, Registration, Setting, Tariff,
)
from app.services.billing import run_billing
from app.services.billing import close_period

from .scenario import NOVEMBER_AMOUNTS, NOVEMBER_SOURCES, RECALCULATIONS
from .town import NOVEMBER, OCTOBER, amounts, create_town, explained, lines_of


def november_changes(ids):
    session = db.session
    session.add(Tariff(service_id=ids["services"]["CW"], valid_from=date(2026, 10, 16), price=D("33.00")))
    meters = ids["meters"]
    session.add_all([
        Reading(meter_id=meters[3], date=date(2026, 10, 30), value=D("203.5"), source="resident"),
        Reading(meter_id=meters[2], date=date(2026, 11, 5), value=D("54"), source="resident"),
        Reading(meter_id=meters[1], date=date(2026, 11, 25), value=D("111"), source="inspector"),
        Reading(meter_id=meters["house"], date=date(2026, 11, 25), value=D("1024"), source="inspector"),
        Reading(meter_id=meters["heat"], date=date(2026, 11, 25), value=D("35"), source="inspector"),
    ])
    session.commit()


def test_the_next_run_posts_deltas_of_the_closed_month_and_trues_up(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    november_changes(ids)
    assert session.scalar(select(func.count()).select_from(BillingChange)) >= 5
    run_billing()
    assert amounts(session, NOVEMBER) == NOVEMBER_AMOUNTS
    sources = {r[0]: r[6] for r in lines_of(session, NOVEMBER, service_code="CW", kind="charge")}
    assert sources == NOVEMBER_SOURCES
    recalc = session.scalars(select(ChargeLine).where(ChargeLine.kind == "recalculation",
                                                      ChargeLine.account_id == ids["accounts"][3],
                                                      ChargeLine.detail_kind == "charge")).one()
    assert (recalc.target_period, recalc.quantity) == (OCTOBER, D("0.500"))
    text = explained(recalc.explanation)
    assert text.startswith("Перерахунок за 2026-10 (нарахування): за поточними даними 110,42 грн "
                                         "(кількість 3,500), нараховано раніше 90,00 грн (кількість 3,000); "
                                         "різниця 20,42 грн")
    assert "2026-10: Тариф 33" in text and "203,5" in text
    true_up = lines_of(session, NOVEMBER, account_id=ids["accounts"][2], service_code="CW", kind="charge")
    assert true_up[0][4] == D("1.000")
    # the October volumes computed again are the draft's; they replace the stored ones at the close
    drafts = {(r.meter_id, r.period): (r.volume, r.source) for r in session.scalars(select(MeterMonthDraft))}
    assert drafts[(ids["meters"][3], OCTOBER)] == (D("3.5"), "actual")
    run_billing()  # a re-run recomputes the same
    assert amounts(session, NOVEMBER) == NOVEMBER_AMOUNTS
    close_period(NOVEMBER)
    stored = {(r.meter_id, r.period): (r.volume, r.source) for r in session.scalars(select(MeterMonth))}
    assert stored[(ids["meters"][3], OCTOBER)] == (D("3.5"), "actual")
    assert stored[(ids["meters"][3], NOVEMBER)] == (D("3.387"), "estimated")
    assert stored[(ids["meters"][2], NOVEMBER)] == (D("1"), "true_up")
    posted = session.execute(select(JournalEntry.account_id, JournalEntry.detail_kind, JournalEntry.amount)
                             .where(JournalEntry.kind == "recalculation")).all()
    assert sorted(a for _, _, a in posted) == sorted(RECALCULATIONS.values())


def test_a_second_recalculation_compares_with_what_was_posted_including_the_first(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    november_changes(ids)
    run_billing()
    close_period(NOVEMBER)
    # a resident registered in flat 2 from 01.10: October and November change again
    session.add(Registration(resident_id=session.scalar(select(Registration.resident_id).limit(1)),
                             premise_id=ids["premises"][2], date_from=date(2026, 10, 1), kind="temporary"))
    session.commit()
    run_billing()
    lines = amounts(session, "2026-12", kind="recalculation")
    # TPV: 2 persons from 01.10 instead of 1: +40,00 in October and in November
    assert lines[("E1-002", "TPV", "recalculation:charge", OCTOBER)] == D("40.00")
    assert lines[("E1-002", "TPV", "recalculation:charge", NOVEMBER)] == D("40.00")
    # nothing is posted twice: CW of October already carries the first recalculation
    assert ("E1-001", "CW", "recalculation:charge", OCTOBER) not in lines


def test_no_change_no_recalculation_and_the_look_back_limit(bdb):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    run_billing()
    assert not lines_of(session, NOVEMBER, kind="recalculation")
    session.add(Setting(key="recalculation_lookback_months", valid_from=date(2026, 1, 1), value="0"))
    session.add(Tariff(service_id=ids["services"]["UTR"], valid_from=date(2026, 10, 1), price=D("9.00")))
    session.commit()
    run_billing()
    assert not lines_of(session, NOVEMBER, kind="recalculation")  # look-back of 0 months
    session.execute(Setting.__table__.update().where(Setting.key == "recalculation_lookback_months")
                    .values(value="36"))
    session.commit()
    run_billing()
    assert amounts(session, NOVEMBER, kind="recalculation") == {
        ("E1-001", "UTR", "recalculation:charge", OCTOBER): D("50.00"),
        ("E1-002", "UTR", "recalculation:charge", OCTOBER): D("60.00"),
        ("E1-003", "UTR", "recalculation:charge", OCTOBER): D("40.00")}
