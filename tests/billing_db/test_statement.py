"""Акт звірки (app/services/ledger/statement.py and its documents): the town's October and the
worked November of scenario.py for flat 1, with a payment, a subsidy, a payment dated in closed
October, an overpayment whose advance the close offsets, and a reversal.

Flat 1, by hand (town.py, scenario.py):
    October   opening 0; charged 400 + 80 + 180 + 22,50 + 10000 = 10682,50; closing 10682,50
    November  charged 400 + 80 + 165 + 19,57 + 13333,40 = 13997,97; recalculated 9,29 − 7,35 = 1,94;
              subsidy 300,00; paid 500,00 (P-1, 10.11.2026) + 100,00 (P-0, dated 20.10.2026, posted
              into November) = 600,00;
              closing 10682,50 + 13997,97 + 1,94 − 300,00 − 600,00 = 23782,41
"""
import io
import re
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Organisation, Payment, Subsidy
from app.services import ledger
from app.services.billing import run_billing
from app.services.billing import close_period

from .test_recalculation import november_changes
from .town import NOVEMBER, OCTOBER, create_town

DECEMBER = "2026-12"
OCTOBER_CHARGED = D("10682.50")
NOVEMBER_CHARGED = D("13997.97")
NOVEMBER_RECALCULATED = D("1.94")
NOVEMBER_CLOSING = D("23782.41")


def _town_with_november(close_november=False):
    """October billed and closed; November's changes, payments and a subsidy recorded through
    the ledger; November billed (and closed when asked)."""
    session = db.session
    ids = create_town()
    session.add(Organisation(name="КП «Теплоенерго»", edrpou="32855961", iban="UA213223130000026007233566001",
                             bank_name="АТ «Ощадбанк»",
                             address="м. Енергодар, вул. Памʼяті Героїв, 5 (Ґалаґанівський р-н)"))
    session.commit()
    run_billing()
    close_period(OCTOBER)
    november_changes(ids)
    flat1, flat2 = ids["accounts"][1], ids["accounts"][2]
    ledger.receive_payment(session, Payment(external_id="P-1", account_id=flat1, paid_on=date(2026, 11, 10),
                                            amount=D("500.00"), source="ПриватБанк"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-0", account_id=flat1, paid_on=date(2026, 10, 20),
                                            amount=D("100.00"), source="cash"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-LATER", account_id=flat1, paid_on=date(2026, 12, 3),
                                            amount=D("1.00"), source="cash"), "operator")
    ledger.receive_payment(session, Payment(external_id="P-2", account_id=flat2, paid_on=date(2026, 11, 12),
                                            amount=D("30000.00"), source="cash"), "operator")
    subsidy = Subsidy(account_id=flat1, period=NOVEMBER, amount=D("300.00"))
    session.add(subsidy)
    session.flush()
    ledger.post_received_subsidies(session, [subsidy.id])
    session.commit()
    run_billing()
    if close_november:
        close_period(NOVEMBER)
    return ids


def _total(book):
    return sum(book.values(), D("0.00"))


def _assert_worked_numbers(st, preliminary_november):
    october, november = st.months
    assert (st.first_period, st.last_period) == (OCTOBER, NOVEMBER)
    assert st.opening == 0 and october.opening == 0
    assert (october.charged, october.recalculated, october.paid, october.subsidies) == (OCTOBER_CHARGED, 0, 0, 0)
    assert october.closing == OCTOBER_CHARGED == november.opening and not october.preliminary
    assert october.payments == ()
    assert november.charged == NOVEMBER_CHARGED and november.recalculated == NOVEMBER_RECALCULATED
    assert november.subsidies == D("300.00") and november.benefits == 0 and november.written_off == 0
    assert november.paid == D("600.00")
    assert [(p.day, p.amount, p.identifier, p.source, p.reversal) for p in november.payments] == [
        (date(2026, 10, 20), D("100.00"), "P-0", "cash", False),
        (date(2026, 11, 10), D("500.00"), "P-1", "ПриватБанк", False)]  # P-LATER waits for December
    assert november.closing == st.closing == NOVEMBER_CLOSING
    assert november.preliminary is preliminary_november and st.preliminary is preliminary_november
    assert st.totals.charged == OCTOBER_CHARGED + NOVEMBER_CHARGED and st.totals.paid == D("600.00")
    assert st.opening + st.totals.charged + st.totals.recalculated - st.totals.benefits - st.totals.subsidies \
        - st.totals.paid - st.totals.written_off == st.closing
    assert st.account.number == "E1-001" and st.account.owner == "Власник 1"
    assert st.account.address == "вул. Енергетиків, 1, кв. 1"
    assert st.provider.name == "КП «Теплоенерго»" and st.provider.edrpou == "32855961"


def test_the_statement_of_the_open_month_includes_its_draft(bdb):
    ids = _town_with_november()
    session = db.session
    flat1 = ids["accounts"][1]
    st = ledger.statement(session, flat1, OCTOBER, NOVEMBER)
    _assert_worked_numbers(st, preliminary_november=True)
    # the November closing is the account's ledger balance with the draft
    assert ledger.account_balance(session, flat1, draft=True)[1] == NOVEMBER_CLOSING
    assert _total(ledger.balances(session, [flat1], draft=True)[flat1]) == NOVEMBER_CLOSING


def test_after_the_close_the_same_figures_come_from_the_stored_balances(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat1 = ids["accounts"][1]
    st = ledger.statement(session, flat1, OCTOBER, NOVEMBER)
    _assert_worked_numbers(st, preliminary_november=False)
    assert _total(ledger.balances(session, [flat1], period=NOVEMBER)[flat1]) == NOVEMBER_CLOSING
    # December opened: the payment that waited for it is there with its date
    st = ledger.statement(session, flat1, OCTOBER, DECEMBER)
    december = st.months[-1]
    assert december.period == DECEMBER and december.preliminary and december.opening == NOVEMBER_CLOSING
    assert [(p.day, p.amount, p.identifier) for p in december.payments] == [(date(2026, 12, 3), D("1.00"), "P-LATER")]
    assert december.closing == st.closing == NOVEMBER_CLOSING - D("1.00")


def test_the_advance_offsets_of_the_close_are_not_payments(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat2 = ids["accounts"][2]
    offsets = session.scalars(ledger.entries_query(account_id=flat2, posting_period=NOVEMBER, kind="payment",
                                                   document=f"advance-{NOVEMBER}")).all()
    assert offsets and sum(e.amount for e in offsets) == 0
    november = ledger.statement(session, flat2, NOVEMBER, NOVEMBER).months[0]
    assert [(p.identifier, p.amount) for p in november.payments] == [("P-2", D("30000.00"))]
    assert november.paid == D("30000.00") and november.closing < 0  # an advance (переплата)


def test_a_reversed_payment_is_a_negative_payment_line(bdb):
    ids = _town_with_november(close_november=True)
    session = db.session
    flat1 = ids["accounts"][1]
    payment = session.scalar(select(Payment).where(Payment.external_id == "P-1"))
    ledger.reverse_payment(session, payment.id, "Помилковий рахунок", "accountant")
    session.commit()
    st = ledger.statement(session, flat1, NOVEMBER, DECEMBER)
    november, december = st.months
    assert [p.identifier for p in november.payments] == ["P-0", "P-1"]  # the payment stays where it was posted
    reversal = [p for p in december.payments if p.reversal]
    assert [(p.amount, p.identifier, p.paid_on, p.reason, p.day) for p in reversal] == [
        (D("-500.00"), "P-1", date(2026, 11, 10), "Помилковий рахунок", date.today())]
    assert december.paid == D("1.00") - D("500.00")
    assert st.closing == NOVEMBER_CLOSING - D("1.00") + D("500.00")
    assert st.closing == ledger.account_balance(session, flat1, draft=True)[1]


def test_the_range_is_checked(bdb):
    ids = _town_with_november()
    session = db.session
    flat1 = ids["accounts"][1]
    with pytest.raises(ledger.StatementError, match="Перший місяць 2026-11 пізніше за останній 2026-10"):
        ledger.statement(session, flat1, NOVEMBER, OCTOBER)
    with pytest.raises(ledger.StatementError, match="щонайбільше 36 місяців; 2023-01–2026-11 — це 47"):
        ledger.statement(session, flat1, "2023-01", NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, flat1, "2026-13", NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, 10 ** 6, OCTOBER, NOVEMBER)
    with pytest.raises(ledger.StatementError):
        ledger.statement(session, flat1, "2025-01", "2025-06")  # before the books
    # a range wider than the books is cut to the months they hold
    st = ledger.statement(session, flat1, "2026-01", "2027-06")
    assert (st.first_period, st.last_period) == (OCTOBER, NOVEMBER) and st.closing == NOVEMBER_CLOSING
    from app.services.ledger.statement import read_month

    assert read_month("11.2026", "x") == read_month(" 2026-11 ", "x") == NOVEMBER
    with pytest.raises(ledger.StatementError, match="«листопад»"):
        read_month("листопад", "Від")


# --- the documents ----------------------------------------------------------------------------

def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pdf_fonts(tmp_path) -> str:
    return subprocess.run(["pdffonts", str(tmp_path / "statement.pdf")], check=True, capture_output=True,
                          text=True).stdout


def test_the_pdf_is_ukrainian_with_the_closing_amount_and_embedded_fonts(bdb, tmp_path):
    from app.services.documents.statement import statement_pdf

    ids = _town_with_november()
    st = ledger.statement(db.session, ids["accounts"][1], OCTOBER, NOVEMBER, issued_on=date(2026, 11, 28))
    data = statement_pdf(st)
    assert data.startswith(b"%PDF")
    page = _pdf_text(data, tmp_path).replace("\u2009", " ")
    flat = " ".join(page.split())
    for text in ("Акт звірки взаєморозрахунків", "КП «Теплоенерго»", "32855961", "E1-001", "Власник 1",
                 "вул. Енергетиків, 1, кв. 1", "жовтень 2026", "листопад 2026*", "Сальдо", "початок", "кінець",
                 "Нараховано", "Перерахунок", "Пільги", "Субсидії", "Оплачено", "Списано", "Надавач послуг",
                 "Споживач", "посада", "підпис", "ПІБ", "Дата видачі: 28.11.2026", "попередньо, період не закрито",
                 "оплата від 10.11.2026, P-1 (ПриватБанк)", "оплата від 20.10.2026, P-0 (каса)",
                 "з 01.10.2026 по 30.11.2026", "вул. Памʼяті Героїв, 5 (Ґалаґанівський р-н)", "сторінка 1 з 1"):
        assert text in flat, text
    assert "Сальдо станом на 30.11.2026: заборгованість 23 782,41 грн" in flat
    assert "(Двадцять три тисячі сімсот вісімдесят дві гривні 41 копійка)" in flat
    assert re.search(r"Разом\s+0,00\s+24 680,47\s+1,94\s+0,00\s+300,00\s+600,00\s+0,00\s+23 782,41", page)
    fonts = _pdf_fonts(tmp_path)
    assert "DejaVuSans" in fonts and "DejaVuSans-Bold" in fonts
    for line in fonts.splitlines()[2:]:
        assert re.search(r"\byes\s+yes\b", line), line  # every font embedded (as a subset)


def test_a_reversal_in_the_pdf_is_a_negative_payment(bdb, tmp_path):
    from app.services.documents.statement import statement_pdf

    ids = _town_with_november(close_november=True)
    session = db.session
    payment = session.scalar(select(Payment).where(Payment.external_id == "P-1"))
    ledger.reverse_payment(session, payment.id, "Помилковий рахунок", "accountant")
    session.commit()
    page = _pdf_text(statement_pdf(ledger.statement(session, ids["accounts"][1], NOVEMBER, DECEMBER)), tmp_path)
    today = date.today().strftime("%d.%m.%Y")
    assert re.search(rf"сторнування {today} оплати P-1 від 10\.11\.2026 \(причина: Помилковий рахунок\)\s+-500,00",
                     page), page
    assert re.search(r"грудень 2026\*\s+23 782,41\s+0,00\s+0,00\s+0,00\s+0,00\s+-499,00\s+0,00\s+24 281,41", page)


def test_the_xlsx_has_the_months_the_totals_and_no_formula(bdb):
    from openpyxl import load_workbook

    from app.services.documents.statement import statement_xlsx

    ids = _town_with_november()
    session = db.session
    account = session.get(Account, ids["accounts"][1])
    account.owner_name = '=HYPERLINK("http://evil.example","<b>click</b> & go")'
    session.commit()
    st = ledger.statement(session, account.id, OCTOBER, NOVEMBER)
    book = load_workbook(io.BytesIO(statement_xlsx(st)))
    sheet = book.worksheets[0]
    rows = [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Акт звірки взаєморозрахунків" and "КП «Теплоенерго»" in rows[1][0]
    header = next(i for i, r in enumerate(rows) if r[0] == "Місяць")
    assert rows[header][1:9] == ("Сальдо на початок періоду", "Нараховано", "Перерахунок", "Пільги", "Субсидії",
                                 "Оплачено", "Списано", "Сальдо на кінець періоду")
    assert sheet.freeze_panes == f"B{header + 2}"
    october, november, total = rows[header + 1], rows[header + 2], rows[header + 3]
    assert october[0] == OCTOBER and october[1:9] == (0, 10682.5, 0, 0, 0, 0, 0, 10682.5)
    assert november[0] == NOVEMBER and november[9] == "попередньо, період не закрито"
    assert november[1:9] == pytest.approx((10682.5, 13997.97, 1.94, 0, 300, 600, 0, 23782.41))
    assert total[0] == "Разом" and total[1:9] == pytest.approx((0, 24680.47, 1.94, 0, 300, 600, 0, 23782.41))
    assert sheet.cell(header + 2, 2).number_format == "#,##0.00"
    owner = next(c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value))
    assert owner.data_type == "s" and owner.quotePrefix  # a text cell, with Excel's apostrophe
    # the PDF prints such a name as it is (not as ReportLab markup)
    from app.services.documents.statement import statement_pdf

    assert statement_pdf(st).startswith(b"%PDF")
    payments = [r for r in book.worksheets[1].iter_rows(values_only=True)]
    assert payments[0][:4] == ("Місяць", "Дата", "Сума, грн", "Документ")
    assert [(r[0], r[1].date(), r[2], r[3], r[4]) for r in payments[1:]] == [
        (NOVEMBER, date(2026, 10, 20), 100, "P-0", "каса"), (NOVEMBER, date(2026, 11, 10), 500, "P-1", "ПриватБанк")]


# --- the screen -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["accountant", "operator", "inspector"])
def test_who_gets_the_statement(bdb, web, role):
    _town_with_november()
    client = web(role)
    query = f"account=E1-001&first={OCTOBER}&last={NOVEMBER}"
    allowed = role != "inspector"
    for url in (f"/statement/?{query}", f"/statement/pdf?{query}", f"/statement/xlsx?{query}", "/statement/"):
        assert client.get(url).status_code == (200 if allowed else 403), (role, url)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/statement/"' in page) == allowed


def test_the_screen_shows_the_statement_and_the_downloads(bdb, web):
    from openpyxl import load_workbook

    ids = _town_with_november()
    client = web("accountant")
    response = client.get(f"/statement/?account=E1-001&first=10.2026&last={NOVEMBER}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="statement-table"' in page
    assert "Акт звірки взаєморозрахунків" in page and "Власник 1" in page
    assert re.search(r'id="statement-closing">23782,41<', page)
    assert "оплата від 10.11.2026, P-1 (ПриватБанк)" in page and "попередньо, період не закрито" in page
    assert page.count('class="statement-month"') == 2 and page.count('class="statement-payment') == 2
    pdf = client.get(f"/statement/pdf?account=E1-001&first={OCTOBER}&last={NOVEMBER}")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"] and "E1-001" in pdf.headers["Content-Disposition"]
    xlsx = client.get(f"/statement/xlsx?account=E1-001&first={OCTOBER}&last={NOVEMBER}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    totals = [r for r in sheet.iter_rows(values_only=True) if r[0] == "Разом"]
    assert totals and totals[0][8] == pytest.approx(23782.41)
    # defaults: the last 12 months up to the open period, cut to the months the books hold
    page = client.get("/statement/?account=E1-001").get_data(as_text=True)
    assert 'value="2025-12"' in page and f'value="{NOVEMBER}"' in page and "жовтень 2026" in page
    # the account card links here
    card = client.get(f"/accountview/show/{ids['accounts'][1]}").get_data(as_text=True)
    assert 'href="/statement/?account=E1-001"' in card


@pytest.mark.parametrize("query,message", [
    ("account=NOPE", "Особового рахунку NOPE немає"),
    ("account=E1-001&first=жовтень&last=2026-11", "З місяця: «жовтень» — не місяць; пишіть РРРР-ММ або ММ.РРРР"),
    ("account=E1-001&first=2026-10&last=2026-13", "По місяць: «2026-13» — не місяць"),
    ("account=E1-001&first=2026-11&last=2026-10", "Перший місяць 2026-11 пізніше за останній 2026-10"),
    ("account=E1-001&first=2023-01&last=2026-11", "Акт звірки охоплює щонайбільше 36 місяців; 2023-01–2026-11 — це 47"),
    ("account=E1-001&first=2020-01&last=2020-12", "В обліку немає жодного періоду в межах 2020-01–2020-12"),
])
def test_bad_input_gives_a_message_not_an_error(bdb, web, query, message):
    _town_with_november()
    client = web("accountant")
    response = client.get(f"/statement/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="statement-message"' in page and message in page.replace("&lt;", "<").replace("&#34;", '"')
    assert 'id="statement-table"' not in page
    for fmt in ("pdf", "xlsx"):
        download = client.get(f"/statement/{fmt}?{query}")
        assert download.status_code == 400 and message in download.get_data(as_text=True)
    assert client.get("/statement/pdf").status_code == 400  # no account at all
