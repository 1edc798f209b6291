"""Penalty (пеня) and debt restructuring on the database: a run computes the penalty of the open
month from the ledger, the close freezes it into ``penalty`` journal entries (turnover column
``charged``), and an agreement's whole life — schedule to the kopiyka, a missed instalment,
the debt excluded from the penalty, then included again after the termination (billing.md §11)."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account, AccountService, Building, ChargeLine, JournalEntry, Payment, PenaltyExemption, Premise,
    RestructuringAgreement, Service, Setting,
)
from app.services import ledger, restructuring
from app.services.billing import close_period, run_billing

from .town import LONG_AGO, NOVEMBER, OCTOBER, create_town, explained_rows

DECEMBER = "2026-12"


def _penalty_on(session, day=date(2026, 11, 1)):
    session.add(Setting(key="penalty.enabled", valid_from=day, value="1", description="test"))
    session.commit()


def _small_account(session):
    """Building P1, one flat of 50 м² with UTR only: 400,00 грн a month."""
    utr = session.scalar(select(Service).where(Service.code == "UTR"))
    building = Building(code="P1", address="вул. Пенальна, 1", floors=1, imbalance_key="volume",
                        heat_system_share=D("0.05"), heat_common_share=D("0.10"), heat_min_share=D("0.5"))
    premise = Premise(building=building, number="1", kind="apartment", total_area=D("50"), heated_area=D("50"),
                      heating="central")
    account = Account(account_number="P1-001", premise=premise, owner_name="Боржник Б. Б.", opened_on=LONG_AGO)
    session.add_all([building, premise, account, AccountService(account=account, service=utr, date_from=LONG_AGO)])
    session.commit()
    return account.id


def _pay(session, account_id, amount, paid_on, external_id):
    ledger.receive_payment(session, Payment(external_id=external_id, account_id=account_id, paid_on=paid_on,
                                            amount=D(amount), source="каса"), "test")
    session.commit()


def _penalties(session, period, account_id=None):
    stmt = select(ChargeLine.account_id, Service.code, ChargeLine.amount, ChargeLine.days, ChargeLine.explanation) \
        .join(Service, Service.id == ChargeLine.service_id) \
        .where(ChargeLine.period == period, ChargeLine.kind == "penalty").order_by(ChargeLine.account_id, Service.code)
    if account_id is not None:
        stmt = stmt.where(ChargeLine.account_id == account_id)
    return explained_rows(session.execute(stmt))


def test_a_run_charges_the_penalty_and_the_close_posts_it(bdb_any):
    session = db.session
    ids = create_town()
    first, second, third = (ids["accounts"][n] for n in (1, 2, 3))
    run_billing()
    close_period(OCTOBER)
    # off by default: November's run charges none
    run_billing()
    assert _penalties(session, NOVEMBER) == []
    _penalty_on(session)
    session.add(PenaltyExemption(account_id=second, date_from=date(2026, 1, 1), reason="рішення виконкому"))
    session.commit()
    _pay(session, third, "8461.25", date(2026, 11, 16), "P-3")       # all of October's bill, before the due day
    run_billing()
    # October's bill is due on Friday 20.11.2026: the penalty runs from Monday 23.11, 8 days at 0,01 %
    rows = _penalties(session, NOVEMBER)
    assert [(r.account_id, r.code, r.amount, r.days) for r in rows] == [
        (first, "CW", D("0.16"), 8), (first, "HEAT", D("8.00"), 8), (first, "TPV", D("0.06"), 8),
        (first, "UTR", D("0.32"), 8)]
    utr = rows[-1].explanation.split("\n")
    assert "23.11.2026–30.11.2026: 8 дн. × 400,00 грн × 0,01 % = 0,32 грн" in utr
    assert utr[0].startswith("Пеня 0,01 % за кожен день прострочення: строк оплати 20.11.2026")
    turnover_open = ledger.turnover(session, NOVEMBER, [first])[first]
    close_period(NOVEMBER)
    entries = session.execute(select(JournalEntry.account_id, func.sum(JournalEntry.amount))
                              .where(JournalEntry.kind == "penalty").group_by(JournalEntry.account_id)).all()
    assert [(a, D(str(s)) if not isinstance(s, D) else s) for a, s in entries] == [(first, D("8.54"))]
    charges = session.scalar(select(func.sum(JournalEntry.amount)).where(
        JournalEntry.account_id == first, JournalEntry.posting_period == NOVEMBER,
        JournalEntry.kind.in_(("charge", "imbalance"))))
    turnover = ledger.turnover(session, NOVEMBER, [first])[first]
    assert turnover["charged"] == ledger.books.money(charges) + D("8.54")
    assert turnover == turnover_open          # the open month's view showed what the close posted
    # December: the penalty of November is in the debt and carries none itself
    run_billing()
    heat = [r for r in _penalties(session, DECEMBER, first) if r.code == "HEAT"][0]
    assert "Несплачена пеня попередніх місяців 8,00 грн до бази не входить" in heat.explanation


def test_the_life_of_a_restructuring_agreement(bdb_any):
    session = db.session
    create_town()
    account_id = _small_account(session)
    run_billing()
    close_period(OCTOBER)
    _penalty_on(session)
    agreement = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=account_id,
                                       debt_date=date(2026, 10, 31), mode="count", instalments=3,
                                       first_due=date(2026, 11, 25))
    restructuring.save_draft(session, agreement, "operator")
    session.commit()
    assert agreement.number == "ДР-2026-0001" and agreement.amount == D("400.00")
    assert [(i.seq, i.due_date, i.amount) for i in agreement.schedule] == [
        (1, date(2026, 11, 25), D("133.34")), (2, date(2026, 12, 25), D("133.33")), (3, date(2027, 1, 25), D("133.33"))]
    # a draft holds nothing: November's penalty runs on October's 400,00 (8 days → 0,32)
    run_billing()
    assert [r.amount for r in _penalties(session, NOVEMBER, account_id)] == [D("0.32")]
    restructuring.approve(session, agreement, "accountant")
    session.commit()
    run_billing()
    assert _penalties(session, NOVEMBER, account_id) == []        # the whole debt is restructured
    close_period(NOVEMBER)
    # 500,00 on 10.12: November's 400,00 first, 100,00 to the agreement — instalment 1 (133,34) is missed
    _pay(session, account_id, "500.00", date(2026, 12, 10), "P-R1")
    state = restructuring.states(session, [agreement], date(2026, 12, 20))[agreement.id]
    assert (state.paid, state.remaining) == (D("100.00"), D("300.00"))
    assert [(m.paid, m.status) for m in state.instalments] == [
        (D("100.00"), "missed"), (D("0.00"), "upcoming"), (D("0.00"), "upcoming")]
    rows, count = restructuring.missed_instalments(session, date(2026, 12, 20))
    assert count == 1 and rows[0][0].id == agreement.id and rows[0][2].missed[0].unpaid == D("33.34")
    # the invoice of December shows what is due with it: the rest of 1 and all of 2
    due = restructuring.schedule_for(session, [account_id], DECEMBER)[account_id]
    assert [(n, m.seq, unpaid) for n, m, unpaid in due] == [
        ("ДР-2026-0001", 1, D("33.34")), ("ДР-2026-0001", 2, D("133.33"))]
    # while it holds, December carries no penalty on the restructured debt
    run_billing()
    assert _penalties(session, DECEMBER, account_id) == []
    # terminated on 15.12: the 300,00 left is due from then — 17 days × 300,00 × 0,01 % = 0,51
    restructuring.terminate(session, agreement, date(2026, 12, 15), "не сплачує за графіком")
    session.commit()
    run_billing()
    [row] = _penalties(session, DECEMBER, account_id)
    assert (row.amount, row.days) == (D("0.51"), 17)
    assert "15.12.2026–31.12.2026: 17 дн. × 300,00 грн × 0,01 % = 0,51 грн" in row.explanation
    assert restructuring.missed_instalments(session, date(2026, 12, 20))[1] == 0   # no longer in force
    assert restructuring.schedule_for(session, [account_id], DECEMBER) == {}


def test_a_cancelled_agreement_holds_nothing(bdb):
    session = db.session
    create_town()
    account_id = _small_account(session)
    run_billing()
    close_period(OCTOBER)
    _penalty_on(session)
    agreement = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=account_id,
                                       debt_date=date(2026, 10, 31), mode="amount", instalment_amount=D("150"),
                                       first_due=date(2026, 11, 25))
    restructuring.save_draft(session, agreement)
    assert [i.amount for i in agreement.schedule] == [D("150.00"), D("150.00"), D("100.00")]
    restructuring.approve(session, agreement, "accountant")
    second = RestructuringAgreement(agreement_date=date(2026, 11, 6), account_id=account_id,
                                    debt_date=date(2026, 10, 31), mode="count", instalments=2,
                                    first_due=date(2026, 11, 25))
    restructuring.save_draft(session, second)
    try:
        restructuring.approve(session, second, "accountant")
        raise AssertionError("a second agreement in force was approved")
    except restructuring.RestructuringRefused as refused:
        assert agreement.number in str(refused)
    restructuring.cancel(session, agreement, "підписано помилково")
    session.commit()
    run_billing()
    assert [r.amount for r in _penalties(session, NOVEMBER, account_id)] == [D("0.32")]
    try:
        restructuring.save_draft(session, agreement)
        raise AssertionError("a cancelled agreement was edited")
    except restructuring.RestructuringRefused:
        pass


def test_a_payment_after_the_run_makes_the_penalty_stale_for_the_close(bdb):
    from app.services.billing import BillingError

    session = db.session
    ids = create_town()
    first = ids["accounts"][1]
    run_billing()
    close_period(OCTOBER)
    run_billing()
    _pay(session, first, "100.00", date(2026, 11, 25), "P-OFF")
    close_period(NOVEMBER)          # the penalty is off: a payment after the run changes nothing
    _penalty_on(session, date(2026, 12, 1))
    run_billing()
    before = sum(r.amount for r in _penalties(session, DECEMBER, first))
    _pay(session, first, "1000.00", date(2026, 12, 5), "P-LATE")
    try:
        close_period(DECEMBER)
        raise AssertionError("closed with a stale penalty")
    except BillingError as refused:
        assert "Payments were posted after the penalty" in str(refused) or "пен" in str(refused)
    run_billing()
    after = sum(r.amount for r in _penalties(session, DECEMBER, first))
    assert after < before
    close_period(DECEMBER)


def test_the_invoice_shows_the_instalments_due_with_it(bdb):
    import io

    from pypdf import PdfReader

    from app.services.invoices import invoice_pdf, load_invoices

    session = db.session
    create_town()
    account_id = _small_account(session)
    run_billing()
    close_period(OCTOBER)
    agreement = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=account_id,
                                       debt_date=date(2026, 10, 31), mode="count", instalments=3,
                                       first_due=date(2026, 11, 25))
    restructuring.save_draft(session, agreement)
    restructuring.approve(session, agreement, "accountant")
    session.commit()
    run_billing()
    [invoice] = load_invoices(session, NOVEMBER, account_ids=[account_id])
    assert invoice.instalments == [("ДР-2026-0001", 1, date(2026, 11, 25), D("133.34"))]
    data = invoice_pdf(invoice)
    page = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "договір ДР-2026-0001, платіж 1 зі строком 25.11.2026" in page and "133,34" in page


def test_the_invoice_shows_the_penalty_as_a_line_of_its_own(bdb):
    """November: the 8 days' penalty on October's bills (0,32 on 400,00 of UTR, 8,54 in all) is
    «Пеня» beside its service and in the money block; «Нараховано за місяць» is without it; the
    totals and the amount due stay to the kopiyka."""
    import io

    from pypdf import PdfReader

    from app.services.invoices import invoice_pdf, load_invoices

    session = db.session
    ids = create_town()
    first = ids["accounts"][1]
    run_billing()
    close_period(OCTOBER)
    _penalty_on(session)
    run_billing()
    for closed in (False, True):
        [inv] = load_invoices(session, NOVEMBER, account_ids=[first])
        by_code = {line.code: line for line in inv.services}
        assert by_code["UTR"].penalty == D("0.32") and by_code["UTR"].penalty_days == 8
        assert by_code["UTR"].penalty_base == D("400.00") and by_code["UTR"].penalty_rate == D("0.01")
        assert inv.penalty == D("8.54")
        turnover = ledger.turnover(session, NOVEMBER, [first])[first]
        assert inv.charged + inv.penalty == turnover["charged"]  # the ledger's «Нараховано» = charges + penalty
        assert inv.charged == sum((line.charge + line.imbalance for line in inv.services), D("0"))
        assert inv.opening + inv.charged + inv.penalty + inv.recalculated + inv.benefits + inv.subsidies \
            - inv.paid - inv.written_off == inv.balance
        assert inv.amount_due == inv.balance
        page = " ".join(PdfReader(io.BytesIO(invoice_pdf(inv))).pages[0].extract_text().split())
        assert "Пеня (8 дн." in page and "8,54" in page and "0,32" in page
        if not closed:
            close_period(NOVEMBER)


def test_a_penalty_setting_exemption_or_agreement_changed_after_the_run_makes_the_draft_stale(bdb_any):
    """Migration 0023's triggers: what the penalty reads changed after the run → the close asks for
    a new run; after the new run it closes."""
    from app.services.billing import close_problems

    session = db.session
    ids = create_town()
    account_id = _small_account(session)
    run_billing()
    close_period(OCTOBER)
    run_billing()
    assert close_problems(session, NOVEMBER) == []
    _penalty_on(session)  # the setting turned on after the run
    assert close_problems(session, NOVEMBER)
    run_billing()
    assert close_problems(session, NOVEMBER) == []
    session.add(PenaltyExemption(account_id=ids["accounts"][1], date_from=date(2026, 11, 1), reason="рішення"))
    session.commit()
    assert close_problems(session, NOVEMBER)
    run_billing()
    assert close_problems(session, NOVEMBER) == []
    agreement = RestructuringAgreement(agreement_date=date(2026, 11, 5), account_id=account_id,
                                       debt_date=date(2026, 10, 31), mode="count", instalments=3,
                                       first_due=date(2026, 11, 25))
    restructuring.save_draft(session, agreement)
    session.commit()
    assert close_problems(session, NOVEMBER) == []  # a draft holds nothing
    restructuring.approve(session, agreement, "accountant")
    session.commit()
    assert close_problems(session, NOVEMBER)
    run_billing()
    assert close_problems(session, NOVEMBER) == []
    close_period(NOVEMBER)
