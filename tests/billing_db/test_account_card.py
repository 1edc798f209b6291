"""The account card leads with the money (issue 12 item 3), the account list shows the balance,
the building card its totals — every figure of money the ledger's (app/services/ledger), checked
here against the journal summed independently (plain SQL) and against the invoice service.

The town (tests/billing_db/town.py): October billed and closed, November billed (open). Flat 1
keeps its debt; flat 2 pays exactly what it owes (zero balance); flat 3 pays more (an advance).
"""
import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import JournalEntry, Meter, Payment, Reading
from app.services import ledger
from app.services.billing import close_period, run_billing
from app.services.invoices import load_invoices
from tests.webtools import text

from .test_ledger import _receive
from .town import NOVEMBER, OCTOBER, create_town

ZERO = D("0.00")


def journal_total(account_id) -> D:
    """Every journal entry of the account, summed by the database (not the ledger's code)."""
    value = db.session.scalar(select(func.sum(JournalEntry.amount)).where(JournalEntry.account_id == account_id))
    return D(str(value or 0)).quantize(D("0.01"))


def amount(cell: str) -> D:
    return D(cell.replace("\xa0", "").replace(" ", "").replace("\u202f", "").replace(",", "."))


def tile(page: str, tile_id: str) -> str:
    found = re.search(rf'id="{tile_id}".*?(?=<div class="col-xs-|</div>\s*</div>\s*</div>\s*<ul)', page, re.S)
    assert found, f"no {tile_id} on the card"
    return found.group(0)


def balance_shown(page: str) -> tuple[str, D]:
    """(«Борг» / «Переплата» / «Боргу немає», the amount) of the card's «Сальдо на сьогодні»."""
    word = re.search(r'id="balance-today-word">([^<]*)<', page)
    figure = re.search(r'id="balance-today-amount" data-amount="([^"]*)">([^<]*)<', page)
    assert word and figure, page[:3000]
    assert amount(figure.group(2)) == abs(D(figure.group(1)))  # the figure as written is the amount
    return word.group(1).strip(), D(figure.group(1))


@pytest.fixture()
def town(bdb):
    ids = create_town()
    run_billing()
    close_period(OCTOBER)
    run_billing()  # November's draft
    session = db.session
    owed = ledger.totals(session, [ids["accounts"][2]])[ids["accounts"][2]]
    assert owed > 0
    _receive(session, ids["accounts"][2], str(owed), date(2026, 11, 10), "PAY-2")  # pays it all: zero
    _receive(session, ids["accounts"][3], "100.00", date(2026, 11, 5), "PAY-3a")
    owed3 = ledger.totals(session, [ids["accounts"][3]])[ids["accounts"][3]]
    _receive(session, ids["accounts"][3], str(owed3 + D("250.00")), date(2026, 11, 20), "PAY-3b")  # an advance
    return ids


def test_the_balance_today_is_the_ledgers_debt_zero_or_advance(town, web):
    client = web("accountant")
    expected = {1: "Борг", 2: "Боргу немає", 3: "Переплата"}
    for flat, word in expected.items():
        account_id = town["accounts"][flat]
        page = text(client.get(f"/accountview/show/{account_id}"))
        shown_word, shown = balance_shown(page)
        figure = ledger.totals(db.session, [account_id])[account_id]
        assert shown == figure == journal_total(account_id), flat  # the ledger's, and the journal's sum
        assert shown_word == word, (flat, shown_word)
    assert journal_total(town["accounts"][2]) == ZERO
    assert journal_total(town["accounts"][3]) == D("-250.00")


def test_the_balance_with_the_open_months_draft_is_beside_it(town, web):
    account_id = town["accounts"][1]
    page = text(web("accountant").get(f"/accountview/show/{account_id}"))
    note = re.search(r'id="balance-draft">(.*?)</div>', page, re.S)
    assert note and NOVEMBER in note.group(1)
    with_draft = ledger.totals(db.session, [account_id], draft=True)[account_id]
    assert with_draft > journal_total(account_id)  # November's charges on top
    assert amount(re.findall(r"[\d\s\u202f]+,\d\d", note.group(1))[-1].strip()) == with_draft


def test_the_last_payment_is_the_latest_with_its_date_amount_and_source(town, web):
    client = web("accountant")
    page = text(client.get(f"/accountview/show/{town['accounts'][3]}"))
    block = tile(page, "last-payment")
    latest = db.session.scalar(select(Payment).where(Payment.external_id == "PAY-3b"))
    assert amount(re.search(r'id="last-payment-amount">([^<]*)<', block).group(1)) == latest.amount
    assert re.search(r'id="last-payment-date">([^<]*)<', block).group(1) == "20.11.2026"
    assert re.search(r'id="last-payment-source">([^<]*)<', block).group(1) == "каса"
    assert "PAY-3a" not in block
    page = text(client.get(f"/accountview/show/{town['accounts'][1]}"))
    assert 'id="last-payment-none"' in page  # flat 1 never paid


def test_a_reversed_last_payment_says_so(town, web):
    ledger.reverse_payment(db.session, db.session.scalar(select(Payment.id).where(Payment.external_id == "PAY-2")),
                           "помилка", "test")
    db.session.commit()
    block = tile(text(web("accountant").get(f"/accountview/show/{town['accounts'][2]}")), "last-payment")
    assert "сторновано" in block


def test_the_last_invoice_is_the_closed_months_amount_due(town, web):
    client = web("accountant")
    for flat in (1, 3):
        account_id = town["accounts"][flat]
        (invoice,) = load_invoices(db.session, OCTOBER, account_ids=[account_id])
        block = tile(text(client.get(f"/accountview/show/{account_id}")), "last-invoice")
        assert f"Рахунок за {OCTOBER}" in block
        assert invoice.amount_due > 0  # October was not paid when it closed
        assert amount(re.search(r'id="last-invoice-due">([^<]*)<', block).group(1)) == invoice.amount_due
        assert invoice.due_date.strftime("%d.%m.%Y") in block
        assert f"period={OCTOBER}" in block  # opens that invoice


def test_nothing_to_pay_on_an_invoice_with_an_advance(bdb, web):
    ids = create_town()
    run_billing()
    account_id = ids["accounts"][3]
    owed = ledger.totals(db.session, [account_id], draft=True)[account_id]
    _receive(db.session, account_id, str(owed + D("40.00")), date(2026, 10, 20), "PAY-ADV")
    close_period(OCTOBER)
    (invoice,) = load_invoices(db.session, OCTOBER, account_ids=[account_id])
    assert invoice.amount_due == ZERO and invoice.balance == D("-40.00")
    block = tile(text(web("accountant").get(f"/accountview/show/{account_id}")), "last-invoice")
    assert 'id="last-invoice-nothing"' in block and "Переплата 40,00" in block


def test_a_zero_balance_before_any_billing(bdb, web):
    ids = create_town()
    page = text(web("accountant").get(f"/accountview/show/{ids['accounts'][1]}"))
    assert balance_shown(page) == ("Боргу немає", ZERO)
    assert 'id="last-payment-none"' in page
    # the open period's preliminary invoice: nothing billed yet, nothing due
    assert "попередній" in tile(page, "last-invoice") or 'id="last-invoice-none"' in page


def test_warnings_link_to_what_to_do(town, web):
    session = db.session
    overdue = session.get(Meter, town["meters"][2])
    overdue.next_verification = date(2020, 1, 1)
    session.add(Reading(meter_id=town["meters"][1], date=date(2026, 11, 28), value=D("110"), source="inspector"))
    session.commit()
    client = web("operator")
    card = f"/accountview/show/{town['accounts'][2]}"
    page = text(client.get(card))
    block = tile(page, "card-warnings")
    assert "Лічильник E1-CW-2: повірка прострочена з 01.01.2020" in block
    assert f"Лічильник E1-CW-2: немає показника за {NOVEMBER}" in block
    links = re.findall(r'href="([^"]+)"', block)
    assert any(link.startswith(f"/meterview/show/{town['meters'][2]}") for link in links), links
    add = next(link for link in links if link.startswith("/readingview/add"))
    assert f"_flt_0_meter={town['meters'][2]}" in add and "next=/accountview/show/" in add
    # the reading entered from the warning: saved, back on the card's meters tab, the warning gone
    response = client.post(add.replace("&amp;", "&"), data={"meter": str(town["meters"][2]), "date": "29.11.2026",
                                                            "value": "60", "source": "inspector"})
    assert response.status_code == 302, text(response)[:2000]
    assert response.headers["Location"].endswith(f"{card}#Meters")
    assert "немає показника" not in tile(text(client.get(card)), "card-warnings")
    # flat 1 has its November reading and a meter verified in time: no warning
    assert 'id="no-warnings"' in text(client.get(f"/accountview/show/{town['accounts'][1]}"))


def test_the_account_list_shows_the_ledgers_balance_for_the_page_at_once(town, web):
    client = web("accountant")
    page = text(client.get("/accountview/list/?_flt_0_account_number=E1-"))
    assert "Сальдо на сьогодні, грн" in page
    rows = {number: cell for number, cell in re.findall(
        r"<td>\s*(E1-00\d)\s*</td>.*?<td>\s*((?:Борг|Переплата)?\s*[\d,]+)\s*</td>\s*</tr>", page, re.S)}
    assert set(rows) == {"E1-001", "E1-002", "E1-003"}, rows
    for flat in (1, 2, 3):
        figure = journal_total(town["accounts"][flat])
        cell = rows[f"E1-00{flat}"]
        word = "Борг " if figure > 0 else ("Переплата " if figure < 0 else "")
        assert cell == f"{word}{str(abs(figure)).replace('.', ',')}", (flat, cell)

    def journal_statements(url) -> int:
        seen = []

        def record(conn, cursor, statement, *args):
            if "journal_entry" in statement.lower():
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    # one page of one account or of three: the same statements (set-based, not one per row)
    assert journal_statements("/accountview/list/?_flt_0_account_number=E1-001") == \
        journal_statements("/accountview/list/?_flt_0_account_number=E1-") == 1


def test_the_operator_sees_the_balance_and_the_inspector_no_account_list(town, web):
    assert "Сальдо на сьогодні, грн" in text(web("operator").get("/accountview/list/"))
    assert web("inspector").get("/accountview/list/").status_code in (302, 403)


def test_the_building_card_shows_its_totals(town, web):
    page = text(web("accountant").get(f"/buildingview/show/{town['building']}"))

    def figure(name):
        return re.search(rf'id="{name}"[^>]*>([^<]*)<', page).group(1).strip()

    assert figure("total-premises") == "3" and figure("total-accounts") == "3"
    assert figure("total-area") == "150" and figure("total-residents") == "4"
    debts = [journal_total(town["accounts"][flat]) for flat in (1, 2, 3)]
    debt = sum((d for d in debts if d > 0), ZERO)
    assert D(re.search(r'id="total-debt" data-amount="([^"]*)"', page).group(1)) == debt == debts[0]
    assert amount(figure("total-advance")) == D("250.00")
    assert 'id="card-edit"' in page and f"/buildingview/edit/{town['building']}?next=/buildingview/show/" in page



CARD_STATEMENTS = 62  # measured: 60 (it was 78 before the card read its balances and relations once)


def test_the_card_runs_a_fixed_number_of_statements_whatever_its_meters_and_residents(town, web):
    """The card's statements (a before_cursor_execute counter) are the same for one meter,
    resident and beneficiary as for five of each: nothing is read per row (the residents, the
    benefit categories and the meter types in one statement each), and few in all."""
    from app.models import BenefitCategory, Beneficiary, MeterType, Registration, Resident

    session = db.session
    client = web("admin")
    url = f"/accountview/show/{town['accounts'][1]}"
    premise = town["premises"][1]

    def statements() -> tuple[int, str]:
        client.get(url)  # warm: templates, the user's permissions
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code == 200
        return len(seen), text(response)

    categories = [BenefitCategory(code=f"CARD-{i}", name=f"Пільга картки {i}", pct=D("25")) for i in range(5)]
    session.add_all(categories)
    first = session.scalars(select(Registration).where(Registration.premise_id == premise)).first()
    session.add(Beneficiary(resident_id=first.resident_id, category=categories[0], date_from=date(2020, 1, 1),
                            entitled=1))
    session.commit()
    one, page = statements()
    assert "Пільга картки 0" in page and "E1-CW-1" in page

    types = session.scalars(select(MeterType).order_by(MeterType.id)).all()
    for i in range(1, 5):
        meter = Meter(serial=f"CARD-M{i}", meter_type=types[i % len(types)], building_id=town["building"],
                      premise_id=premise, installed_on=date(2020, 1, 1), initial_reading=D("0"),
                      next_verification=date(2021, 1, 1) if i % 2 else date(2030, 1, 1))
        resident = Resident(resident_id=f"CARD-R{i}", full_name=f"Мешканець картки {i}")
        session.add_all([meter, resident, Reading(meter=meter, date=date(2026, 9, 30), value=D(i), source="inspector"),
                         Registration(resident=resident, premise_id=premise, date_from=date(2020, 1, 1)),
                         Beneficiary(resident=resident, category=categories[i], date_from=date(2020, 1, 1), entitled=1)])
    session.commit()
    five, page = statements()
    for i in range(1, 5):  # everything is still shown
        assert f"CARD-M{i}" in page and f"Мешканець картки {i}" in page and f"Пільга картки {i}" in page
    assert "Лічильник CARD-M1: повірка прострочена з 01.01.2021" in tile(page, "card-warnings")
    assert five == one <= CARD_STATEMENTS, (one, five)
