"""A restructuring agreement cancelled after some of its months closed: the penalty it kept out
of those closed months is charged by the next run as ``recalculation`` lines (``detail_kind``
``penalty``, billing.md §10–§11), once — and the open month's penalty is the ordinary one again.

The worked case (building P1, flat 1: UTR only, 400,00 грн a month; penalty 0,01 % a day from
01.11.2026; October closed with its 400,00 unpaid):

* 05.11 agreement ДР-2026-0001 restructures the 400,00 owed on 31.10 and is approved; 150,00 is
  paid on 10.11. While it holds, November carries no penalty (the whole debt is restructured).
  November closes: balance 400,00 + 400,00 − 150,00 = 650,00.
* December: the agreement is cancelled. Without it November's penalty would have been: October's
  400,00 due on Friday 20.11, overdue from Monday 23.11; the 10.11 payment paid 150,00 of it →
  23.11–30.11: 8 дн. × 250,00 грн × 0,01 % = **0,20 грн** — a recalculation line of December
  with target 2026-11.
* December's own penalty is the ordinary one: 250,00 older than November's bill overdue all
  month, November's 400,00 due on Sunday 20.12, overdue from Monday 21.12:
  01.12–20.12: 20 дн. × 250,00 × 0,01 % = 0,50; 21.12–31.12: 11 дн. × 650,00 × 0,01 % = 0,715;
  1,215 → **1,22 грн**.
* In January the penalties unpaid are 0,20 + 1,22 = 1,42 грн (no penalty on them).

Flat 2 of the same building pays nothing and has no agreement: its November penalty (0,32) stays
as posted, even though an exemption from 01.11 is added afterwards (a closed month's penalty is
recalculated only for the accounts of a cancelled agreement).
"""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account, AccountService, BillingChange, Building, ChargeLine, JournalEntry, PenaltyExemption, Premise,
    RestructuringAgreement, Service,
)
from app.services import ledger, restructuring
from app.services.billing import close_period, run_billing

from .test_penalty_restructuring import _pay, _penalties, _penalty_on
from .town import LONG_AGO, NOVEMBER, OCTOBER, create_town, explained_rows

DECEMBER, JANUARY = "2026-12", "2027-01"


def _building(session):
    """Building P1: flats 1 and 2 of 50 м², UTR only — 400,00 грн a month each."""
    utr = session.scalar(select(Service).where(Service.code == "UTR"))
    building = Building(code="P1", address="вул. Пенальна, 1", floors=1, imbalance_key="volume",
                        heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"))
    accounts = []
    for n in (1, 2):
        premise = Premise(building=building, number=str(n), kind="apartment", total_area=D("50"),
                          heated_area=D("50"), heating="central")
        account = Account(account_number=f"P1-00{n}", premise=premise, owner_name="Боржник Б. Б.", opened_on=LONG_AGO)
        session.add_all([premise, account, AccountService(account=account, service=utr, date_from=LONG_AGO)])
        accounts.append(account)
    session.add(building)
    session.commit()
    return building.id, accounts[0].id, accounts[1].id


def _november_under_agreement(session):
    """October closed, the agreement approved on 05.11, 150,00 paid on 10.11, November closed."""
    create_town()
    building_id, first, second = _building(session)
    run_billing()
    close_period(OCTOBER)
    _penalty_on(session)
    agreement = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=first,
                                       debt_date=date(2026, 10, 31), mode="count", instalments=3,
                                       first_due=date(2026, 11, 25))
    restructuring.save_draft(session, agreement, "operator")
    restructuring.approve(session, agreement, "accountant")
    session.commit()
    assert agreement.amount == D("400.00")
    _pay(session, first, "150.00", date(2026, 11, 10), "P-PR1")
    run_billing()
    assert _penalties(session, NOVEMBER, first) == []                     # the whole debt restructured
    assert [r.amount for r in _penalties(session, NOVEMBER, second)] == [D("0.32")]
    close_period(NOVEMBER)
    return building_id, first, second, agreement


def _penalty_recalculations(session, period):
    return explained_rows(session.execute(
        select(ChargeLine.account_id, ChargeLine.target_period, ChargeLine.amount, ChargeLine.explanation)
        .where(ChargeLine.period == period, ChargeLine.kind == "recalculation", ChargeLine.detail_kind == "penalty")
        .order_by(ChargeLine.account_id, ChargeLine.target_period)))


def _recalculations(session, period):
    return session.scalar(select(func.count()).select_from(ChargeLine).where(
        ChargeLine.period == period, ChargeLine.kind == "recalculation"))


def _posted_penalty_recalculations(session):
    return session.execute(
        select(JournalEntry.account_id, JournalEntry.posting_period, JournalEntry.target_period, JournalEntry.amount)
        .where(JournalEntry.kind == "recalculation", JournalEntry.detail_kind == "penalty")
        .order_by(JournalEntry.id)).all()


def _change_from_october(session, building_id):
    """Something of October changed for the building: its closed months are computed again."""
    session.add(BillingChange(building_id=building_id, day=date(2026, 10, 1), source="test"))
    session.commit()


def test_a_cancelled_agreement_charges_the_closed_months_penalty_once(bdb_any):
    session = db.session
    building_id, first, second, agreement = _november_under_agreement(session)
    # December: flat 2 exempt from 01.11 after the fact, the agreement of flat 1 cancelled
    session.add(PenaltyExemption(account_id=second, date_from=date(2026, 11, 1), reason="рішення виконкому"))
    restructuring.cancel(session, agreement, "договір не підписано боржником")
    session.commit()
    run_billing()
    [line] = _penalty_recalculations(session, DECEMBER)
    assert (line.account_id, line.target_period, line.amount) == (first, NOVEMBER, D("0.20"))
    text = line.explanation.split("\n")
    assert text[:2] == ["Перерахунок за 2026-11 (пеня): за поточними даними 0,20 грн, нараховано раніше 0,00 грн; "
                        "різниця 0,20 грн",
                        "Договір реструктуризації ДР-2026-0001 скасовано: пеню за 2026-11 обчислено без нього — "
                        "на борг, який він виключав з бази пені"]
    assert "  2026-11: 23.11.2026–30.11.2026: 8 дн. × 250,00 грн × 0,01 % = 0,20 грн" in text
    assert _recalculations(session, DECEMBER) == 1          # the charges of Oct and Nov are unchanged
    # the open month: the ordinary penalty, without the agreement
    [december] = _penalties(session, DECEMBER, first)
    assert (december.amount, december.days) == (D("1.22"), 31)
    assert "01.12.2026–20.12.2026: 20 дн. × 250,00 грн × 0,01 % = 0,50 грн" in december.explanation
    assert "21.12.2026–31.12.2026: 11 дн. × 650,00 грн × 0,01 % = 0,72 грн" in december.explanation
    assert "реструктуризації" not in december.explanation
    assert _penalties(session, DECEMBER, second) == []      # exempt in December
    _invoice_shows_the_recalculated_penalty(session, first)
    # a second run: the same one line, nothing more
    run_billing()
    assert [(r.account_id, r.target_period, r.amount) for r in _penalty_recalculations(session, DECEMBER)] == [
        (first, NOVEMBER, D("0.20"))]
    close_period(DECEMBER)
    assert _posted_penalty_recalculations(session) == [(first, DECEMBER, NOVEMBER, D("0.20"))]
    turnover = ledger.turnover(session, DECEMBER, [first])[first]
    assert turnover["recalculated"] == D("0.20")
    # January: October changes, so Oct–Dec are computed again — the penalty is found posted
    _change_from_october(session, building_id)
    run_billing()
    assert _penalty_recalculations(session, JANUARY) == []
    assert _recalculations(session, JANUARY) == 0
    [january] = _penalties(session, JANUARY, first)
    assert "Несплачена пеня попередніх місяців 1,42 грн до бази не входить" in january.explanation
    close_period(JANUARY)
    assert _posted_penalty_recalculations(session) == [(first, DECEMBER, NOVEMBER, D("0.20"))]
    penalties = session.scalar(select(func.sum(JournalEntry.amount)).where(
        JournalEntry.account_id == first, JournalEntry.target_period <= DECEMBER,
        (JournalEntry.kind == "penalty") | (JournalEntry.detail_kind == "penalty")))
    assert ledger.books.money(penalties) == D("1.42")


def _invoice_shows_the_recalculated_penalty(session, account_id):
    import io

    from pypdf import PdfReader

    from app.services.invoices import invoice_pdf, load_invoices

    [inv] = load_invoices(session, DECEMBER, account_ids=[account_id])
    assert [(r.target_period, r.kind, r.amount) for r in inv.recalculations] == [(NOVEMBER, "penalty", D("0.20"))]
    assert inv.recalculated == D("0.20") and inv.penalty == D("1.22")
    assert inv.opening + inv.charged + inv.penalty + inv.recalculated + inv.benefits + inv.subsidies \
        - inv.paid - inv.written_off == inv.balance
    page = " ".join(PdfReader(io.BytesIO(invoice_pdf(inv))).pages[0].extract_text().split())
    assert "(пеня)" in page and "0,20" in page


def test_the_cancellation_alone_starts_the_recalculation(bdb_any):
    """No other change: cancelling the approved agreement logs a change from its debt date
    (31.10, migration 0023's trigger), so October and November are computed again."""
    session = db.session
    building_id, first, _second, agreement = _november_under_agreement(session)
    mark = session.scalar(select(func.max(BillingChange.id))) or 0   # the close purged the log it saw
    restructuring.cancel(session, agreement, "договір не підписано боржником")
    session.commit()
    assert session.execute(select(BillingChange.building_id, BillingChange.day, BillingChange.source)
                           .where(BillingChange.id > mark)).all() == [
        (building_id, date(2026, 10, 31), "restructuring_agreement")]
    run_billing()
    assert [(r.account_id, r.target_period, r.amount) for r in _penalty_recalculations(session, DECEMBER)] == [
        (first, NOVEMBER, D("0.20"))]


def test_an_agreement_in_force_keeps_the_closed_months_penalty_out(bdb_any):
    """The same November, the agreement not cancelled: the closed months computed again (a
    change of October) bring no penalty recalculation — and December keeps the debt out too."""
    session = db.session
    building_id, first, second, agreement = _november_under_agreement(session)
    _change_from_october(session, building_id)
    run_billing()
    assert _penalty_recalculations(session, DECEMBER) == []
    assert _recalculations(session, DECEMBER) == 0
    assert restructuring.cancelled_in_building(session, building_id) == {}
    [december] = _penalties(session, DECEMBER, first)
    assert "Борг за договором реструктуризації ДР-2026-0001" in december.explanation
    close_period(DECEMBER)
    assert _posted_penalty_recalculations(session) == []


def test_a_draft_cancelled_changes_no_closed_penalty(bdb):
    """A draft never held: cancelling it is no reason to recalculate (it is not even listed)."""
    session = db.session
    create_town()
    building_id, first, _second = _building(session)
    run_billing()
    close_period(OCTOBER)
    _penalty_on(session)
    draft = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=first, debt_date=date(2026, 10, 31),
                                   mode="count", instalments=2, first_due=date(2026, 11, 25))
    restructuring.save_draft(session, draft)
    session.commit()
    run_billing()
    close_period(NOVEMBER)
    restructuring.cancel(session, draft, "не потрібен")
    _change_from_october(session, building_id)
    assert restructuring.cancelled_in_building(session, building_id) == {}
    run_billing()
    assert _penalty_recalculations(session, DECEMBER) == []
