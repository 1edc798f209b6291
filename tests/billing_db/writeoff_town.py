"""A small town with three-year-old debts for the write-off tests (the town of town.py: flats
E1-001…E1-003, services UTR, TPV, CW, HEAT), its history written straight into the journal of
closed periods — July and August 2023 (40 months before November 2026) and October 2026 — with
November 2026 open:

    flat 1  UTR 400,00 in 2023-07, 2023-08, 2026-10; CW 180,00 in 2023-07; no payment
    flat 2  UTR 480,00 in 2023-07, 2023-08, 2026-10; paid 480,00 in August 2023 (pays July)
    flat 3  UTR 320,00 in 2023-07, 2023-08, 2026-10; paid 1000,00 in October 2026
            (960,00 on UTR, an advance of 40,00)

On 30.11.2026 with a limit of 36 months the months up to October 2023 are barred (31.10.2023 +
36 months = 31.10.2026 < 30.11.2026), so the candidates are, by FIFO:

    flat 1  UTR 800,00 (Jul + Aug 2023, debt 1200,00), CW 180,00 (debt 180,00)
    flat 2  UTR 480,00 (Aug 2023; July was paid; debt 960,00)
    flat 3  none (paid in full and more)
    total   1460,00
"""
from datetime import date
from decimal import Decimal as D

from app.billing.periods import last_day
from app.extensions import db
from app.models import JournalEntry, Period
from app.services import ledger

from .town import create_town

OPEN = "2026-11"
CLOSED = ("2023-07", "2023-08", "2026-10")
AS_OF = date(2026, 11, 30)
CANDIDATES_TOTAL = D("1460.00")


def entry(kind, account_id, service_id, period, amount, target=None, day=None, document=None, detail_kind=None):
    """A journal row written by the test (the app writes only through the ledger)."""
    return JournalEntry(kind=kind, account_id=account_id, service_id=service_id, posting_period=period,
                        value_date=day or last_day(period), target_period=target or period, amount=D(amount),
                        document=document or f"test-{period}", created_by="test", detail_kind=detail_kind)


def close(period):
    """Close a period the test built by hand: its closing balances and debt ages stored from the
    journal, as the close does."""
    session = db.session
    session.add(Period(period=period, status="closed"))
    session.flush()
    ledger.store_closing_balances(session, period)
    ledger.store_debt_ages(session, period)


def old_debts_town() -> dict:
    session = db.session
    ids = create_town(open_period=False)
    flats, services = ids["accounts"], ids["services"]
    utr, cw = services["UTR"], services["CW"]
    charges = {1: "400.00", 2: "480.00", 3: "320.00"}
    history = {
        "2023-07": [entry("charge", flats[n], utr, "2023-07", a) for n, a in charges.items()]
        + [entry("charge", flats[1], cw, "2023-07", "180.00")],
        "2023-08": [entry("charge", flats[n], utr, "2023-08", a) for n, a in charges.items()]
        + [entry("payment", flats[2], utr, "2023-08", "-480.00", day=date(2023, 8, 15), document="P-2023")],
        "2026-10": [entry("charge", flats[n], utr, "2026-10", a) for n, a in charges.items()]
        + [entry("payment", flats[3], utr, "2026-10", "-960.00", day=date(2026, 10, 5), document="P-2026"),
           entry("payment", flats[3], None, "2026-10", "-40.00", day=date(2026, 10, 5), document="P-2026")],
    }
    for period in CLOSED:
        session.add_all(history[period])
        session.flush()
        close(period)
    session.add(Period(period=OPEN, status="open"))
    session.commit()
    return ids
