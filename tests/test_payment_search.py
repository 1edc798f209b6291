"""The payments' list has the search box of the other lists (``?q=``, app/services/search.py
``payment_word``): every word must match the payment's identifier (the desk receipt's number,
the bank's), or its account's number, owner or address — and the totals under the list count
what the search found."""
import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest

from tests.test_search import _listed, town  # noqa: F401 — the town of the search tests


@pytest.fixture(scope="module")
def payments(town, app):  # noqa: F811
    """A payment of three of the town's accounts: one taken at the desk (its receipt number given
    by the system), two from a bank (its own identifiers)."""
    from app.extensions import db
    from app.models import Account, Payment
    from app.services import ledger

    found = {}
    digits = town[("b1", "5")]["serial"][:7]
    with app.app_context():
        for key, external_id, amount in ((("b1", "5"), None, "101.11"), (("b11", "5"), f"BNK{digits}77", "202.22"),
                                         (("c5", "1"), f"BNK{digits}88", "303.33")):
            account_id = db.session.scalar(db.select(Account.id).where(Account.account_number == town[key]["number"]))
            payment = Payment(external_id=external_id, account_id=account_id, paid_on=date(2026, 11, 2),
                              amount=Decimal(amount), source="cash" if external_id is None else "bank")
            ledger.receive_payment(db.session, payment, "test")
            found[key] = payment.external_id
        db.session.commit()
    return found


def _ids(payments, body):
    """Which of the payments the list shows (its rows, not the search box's text)."""
    rows = re.sub(r'<form[^>]*id="oblik-quick-search".*?</form>', "", body, flags=re.S)
    return {key for key, external_id in payments.items() if external_id in rows}


ALL = {("b1", "5"), ("b11", "5"), ("c5", "1")}


@pytest.mark.parametrize("typed, expected", [
    ("{street}", {("b1", "5"), ("b11", "5")}),  # the account's address
    ("{lstreet} 1 кв. 5", {("b1", "5")}),
    ("{street} 5", {("b1", "5"), ("b11", "5")}),
    ("ярмоленко{sfx} ганна", {("b11", "5")}),  # the owner
    ("ҐАЛАҐАН{SFX}", {("c5", "1")}),
    ("{number_c5}", {("c5", "1")}),  # the account number
    ("{bank_b11}", {("b11", "5")}),  # the bank's identifier, whole
    ("{bank_c5_tail}", {("c5", "1")}),  # and a part of it
    ("{receipt}", {("b1", "5")}),  # the receipt's number as printed («КВ-…»)
    ("{receipt_lower}", {("b1", "5")}),
    ("{receipt_tail} {street}", {("b1", "5")}),
    ("{bank_b11} {other}", set()),  # every word must match
])
def test_payments_are_found_by_every_word(town, payments, client_as, typed, expected):  # noqa: F811
    values = {"street": town["street"], "lstreet": town["street"].lower(), "other": town["other"],
              "sfx": town["sfx"], "SFX": town["sfx"].upper(), "number_c5": town[("c5", "1")]["number"],
              "bank_b11": payments[("b11", "5")], "bank_c5_tail": payments[("c5", "1")][-6:],
              "receipt": payments[("b1", "5")], "receipt_lower": payments[("b1", "5")].lower(),
              "receipt_tail": payments[("b1", "5")].rsplit("-", 1)[-1]}
    typed = typed.format(**values)
    body, count = _listed(client_as("accountant"), "/paymentview/list/?q=" + quote(typed))
    assert _ids(payments, body) == expected, typed
    assert count == len(expected), typed  # the pager counts the same search
    assert 'id="oblik-quick-search-q"' in body and f'value="{typed}"' in body


def _totals(body) -> tuple[int, Decimal]:
    """(count, amount) of «Разом за фільтром» under the list."""
    totals = re.search(r'id="payment-totals".*?</div>', body, re.S).group(0)
    found = re.search(r"оплат: ([\d\s\u00a0\u202f]+) на суму ([\d\s\u00a0\u202f]+,\d\d) грн", totals)
    assert found, totals
    count, amount = (re.sub(r"[\s\u00a0\u202f]", "", g) for g in found.groups())
    return int(count), Decimal(amount.replace(",", "."))


def test_the_totals_count_what_the_search_found(town, payments, client_as):  # noqa: F811
    """«Разом за фільтром» under the list: the payments the search found (101,11 + 202,22), not
    every payment."""
    client = client_as("operator")
    body, count = _listed(client, "/paymentview/list/?q=" + quote(town["street"]))
    assert count == 2 and _totals(body) == (2, Decimal("303.33"))
    body, _count = _listed(client, "/paymentview/list/?q=" + quote(payments[("c5", "1")]))
    assert _totals(body) == (1, Decimal("303.33"))
    everything, _count = _listed(client, "/paymentview/list/")
    assert _totals(everything)[0] >= 3


def test_the_box_keeps_the_filters_and_they_narrow_together(town, payments, client_as):  # noqa: F811
    client = client_as("accountant")
    body, count = _listed(client, f"/paymentview/list/?q={quote(town['street'])}&_flt_0_source=bank")
    assert _ids(payments, body) == {("b11", "5")} and count == 1
    assert '<input type="hidden" name="_flt_0_source"' in body
    assert 'placeholder="Номер рахунку, власник, адреса, номер квитанції або ідентифікатор платежу"' in body


@pytest.mark.parametrize("typed", ["%00", "\\", "_", "%25", "кв.", "№", "КВ-", "x" * 500])
def test_odd_input_is_no_error(client_as, typed):
    assert client_as("accountant").get("/paymentview/list/?q=" + typed).status_code == 200, typed
