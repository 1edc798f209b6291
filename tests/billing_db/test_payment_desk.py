"""Payments at the desk (issue 12, item 4): the cashier enters the account, the date and the sum —
the identifier is the next receipt number («КВ-2026-0001»), never typed; the saved payment opens
with its receipt (квитанція, PDF: two copies, the amount in figures and words, the balance); the
list shows the count and the sum of what its filters found, the reversed apart."""
import re
from pathlib import Path
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, Payment
from app.services import ledger
from app.services.billing import close_period, run_billing
from tests.webtools import added_payment_id, all_field_errors, field_errors, flashes, payment_form

from .town import OCTOBER, create_town


def _pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _totals(page: str) -> str:
    found = re.search(r'id="payment-totals".*?</div>\s*</div>', page, re.S)
    assert found, "no totals on the list"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_the_form_gives_the_receipt_number_and_opens_the_payment_with_its_receipt(bdb, web, tmp_path):
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER)  # October's charges are a debt on the books
    session.add(Organisation(name="КП «Водоканал»", edrpou="12345678", iban="UA213223130000026007233566001",
                             address="м. Обухів, вул. Київська, 10"))
    session.commit()
    account_id = ids["accounts"][1]
    _, debt = ledger.account_balance(session, account_id)
    assert debt > 0
    cashier = web("operator")
    form = cashier.get("/paymentview/add").get_data(as_text=True)
    assert 'name="external_id"' not in form  # the cashier does not invent one
    assert re.search(r'<option[^>]*selected[^>]*value="cash"|<option[^>]*value="cash"[^>]*selected', form)
    assert f'value="{date.today():%d.%m.%Y}"' in form  # the date defaults to today
    first = cashier.post("/paymentview/add", data=payment_form(account_id, paid_on="15.11.2026", amount="100,50"))
    second = cashier.post("/paymentview/add", data=payment_form(account_id, paid_on="16.11.2026", amount="0,50"))
    for response in (first, second):
        assert response.status_code == 302, (flashes(response.get_data(as_text=True)), all_field_errors(response.get_data(as_text=True)))
    assert first.status_code == second.status_code == 302
    one, two = session.get(Payment, added_payment_id(first)), session.get(Payment, added_payment_id(second))
    number = int(one.external_id.rsplit("-", 1)[1])
    assert one.external_id == f"КВ-2026-{number:04d}" and two.external_id == f"КВ-2026-{number + 1:04d}"
    assert (one.amount, one.source, one.created_by) == (D("100.50"), "cash", "operator")
    assert ledger.account_balance(session, account_id)[1] == debt - D("101.00")

    shown = cashier.get(first.headers["Location"]).get_data(as_text=True)
    assert 'id="payment-receipt"' in shown and one.external_id in shown
    response = cashier.get(f"/paymentview/receipt/{one.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "kvytantsiia" in response.headers["Content-Disposition"]
    (Path("/tmp") / "receipt-shot.pdf").write_bytes(response.data)
    text = _pdf_text(response.data, tmp_path)
    assert text.count(f"Квитанція № {one.external_id}") == 3  # the payer's and the cash desk's copies, the footer
    assert "Примірник платника" in text and "Примірник каси" in text
    assert "КП «Водоканал»" in text and "12345678" in text
    assert "Власник 1" in text and "E1-001" in text and "кв. 1" in text
    assert "100,50 грн" in text and "сто гривень 50 копійок" in text.replace("\n", " ").lower()
    assert "Прийняв (касир)" in text and "operator" in text
    assert f"Борг на {date.today():%d.%m.%Y}: {str(debt - D('101.00')).replace('.', ',')} грн" in re.sub(r"(\d)[ \u2009](\d)", r"\1\2", text)
    assert "СТОРНОВАНО" not in text

    # reversed, the receipt says so
    accountant = web("accountant")
    accountant.post(f"/paymentview/reverse/{one.id}", data={"reason": "не той рахунок"})
    text = _pdf_text(accountant.get(f"/paymentview/receipt/{one.id}").data, tmp_path)
    assert text.count("СТОРНОВАНО") == 2 and "не той рахунок" in text


def test_a_receipt_is_for_the_cash_desk_only_and_for_who_may_see_payments(bdb, web):
    ids = create_town()
    bank = Payment(external_id="BANK-1", account_id=ids["accounts"][2], paid_on=date(2026, 10, 3),
                   amount=D("10.00"), source="ПриватБанк")
    ledger.receive_payment(db.session, bank, "test")
    db.session.commit()
    accountant = web("accountant")
    assert 'id="payment-receipt"' not in accountant.get(f"/paymentview/show/{bank.id}").get_data(as_text=True)
    response = accountant.get(f"/paymentview/receipt/{bank.id}", follow_redirects=True)
    assert any("лише для оплати, прийнятої в касі" in m for m in flashes(response.get_data(as_text=True)))
    assert accountant.get("/paymentview/receipt/999999").status_code == 404
    assert web("inspector").get(f"/paymentview/receipt/{bank.id}").status_code in (302, 403)


def test_a_bad_amount_is_refused_beside_its_field_and_takes_no_number(bdb, web):
    ids = create_town()
    cashier = web("operator")
    before = db.session.scalar(select(Payment.id).order_by(Payment.id.desc()).limit(1))
    response = cashier.post("/paymentview/add", data=payment_form(ids["accounts"][1], amount="сто"))
    assert response.status_code == 200 and "amount" in response.get_data(as_text=True)
    assert db.session.scalar(select(Payment.id).order_by(Payment.id.desc()).limit(1)) == before
    good = cashier.post("/paymentview/add", data=payment_form(ids["accounts"][1], amount="5"))
    number = db.session.get(Payment, added_payment_id(good)).external_id
    assert number.endswith("-0001")  # the refused form took no number


def test_the_list_totals_what_its_filters_found(bdb, web):
    session = db.session
    ids = create_town()
    accountant = web("accountant")
    empty = _totals(accountant.get("/paymentview/list/").get_data(as_text=True))
    assert "оплат: 0 на суму 0,00 грн" in empty  # zero is a figure, not a blank
    amounts = {"A-1": (1, "1200.00"), "A-2": (1, "0.40"), "A-3": (2, "300.25"), "A-4": (2, "1000.00")}
    made = {}
    for external, (flat, amount) in amounts.items():
        payment = Payment(external_id=external, account_id=ids["accounts"][flat], paid_on=date(2026, 10, 5),
                          amount=D(amount), source="cash")
        ledger.receive_payment(session, payment, "test")
        made[external] = payment
    session.commit()
    ledger.reverse_payment(session, made["A-4"].id, "помилка", "accountant")
    session.commit()
    everything = _totals(accountant.get("/paymentview/list/").get_data(as_text=True))
    assert "оплат: 4 на суму 2 500,65 грн" in everything
    assert "з них сторновано: 1 на суму 1 000,00 грн" in everything
    assert "отримано без сторнованих: 1 500,65 грн" in everything
    # the filter of the list narrows the totals alike: the account of flat 1
    narrowed = _totals(accountant.get(f"/paymentview/list/?_flt_0_account={ids['accounts'][1]}").get_data(as_text=True))
    assert "оплат: 2 на суму 1 200,40 грн" in narrowed and "сторновано" not in narrowed
    # the sums agree with the ledger's own figure of the journal
    assert ledger.payment_totals(session, select(Payment.id)).net == D("1500.65")
