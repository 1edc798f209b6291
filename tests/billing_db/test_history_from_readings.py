"""A database just filled with years of readings (by ``oblik import`` or the demo) has no
billed months yet: a meter without a reading in the first billed month is estimated from the
readings already in the registry (billing.md §4 step 4), not billed by norm."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from app.extensions import db
from app.models import Account, ChargeLine, Reading, Service
from app.services.billing import run_billing

from .town import OCTOBER, create_town, explained_rows


def _cold_water_line(number):
    return explained_rows(db.session.execute(
        select(ChargeLine.quantity, ChargeLine.amount, ChargeLine.source, ChargeLine.explanation)
        .join(Account, Account.id == ChargeLine.account_id).join(Service, Service.id == ChargeLine.service_id)
        .where(Account.account_number == number, Service.code == "CW", ChargeLine.kind == "charge",
               ChargeLine.period == OCTOBER)))[0]


def test_first_month_estimate_from_the_imported_readings(bdb):
    ids = create_town()
    # Flat 2: 31.07 → 38, 31.08 → 44, 30.09 → 50 (the town's own), nothing in October.
    db.session.add_all([Reading(meter_id=ids["meters"][2], date=date(2026, 7, 31), value=D("38"), source="import"),
                        Reading(meter_id=ids["meters"][2], date=date(2026, 8, 31), value=D("44"), source="import")])
    db.session.commit()
    run_billing()
    quantity, amount, source, explanation = _cold_water_line("E1-002")
    # 12 м³ over the 61 days 31.07–30.09 → 12/61 × 31 = 6,098 м³ × 30,00 = 182,94
    assert (quantity, amount, source) == (D("6.098"), D("182.94"), "estimated")
    # Flat 3 has a single reading (30.09): nothing to average — the norm, as before.
    quantity, amount, source, _ = _cold_water_line("E1-003")
    assert (quantity, amount, source) == (D("3.000"), D("90.00"), "norm")


def test_a_register_that_went_down_is_no_month_unless_it_rolled_over(bdb):
    ids = create_town()
    db.session.add_all([Reading(meter_id=ids["meters"][3], date=date(2026, 8, 31), value=D("99990"), source="import")])
    db.session.commit()
    # 99990 → 200 on a 5-digit register: a rollover of 210 м³ over 30 days → 7 м³/day × 31 = 217
    run_billing()
    quantity, amount, source, _ = _cold_water_line("E1-003")
    assert (quantity, amount, source) == (D("217.000"), D("6510.00"), "estimated")


def test_a_vacant_flat_read_at_zero_is_estimated_at_zero_through_the_run(bdb):
    ids = create_town()
    # Flat 2 stood empty: 31.07 → 50, 31.08 → 50, 30.09 → 50 (the town's own), nothing in October.
    db.session.add_all([Reading(meter_id=ids["meters"][2], date=date(2026, 7, 31), value=D("50"), source="import"),
                        Reading(meter_id=ids["meters"][2], date=date(2026, 8, 31), value=D("50"), source="import")])
    db.session.commit()
    run_billing()
    quantity, amount, source, explanation = _cold_water_line("E1-002")
    # 0 м³ over the 61 days 31.07–30.09 → 0 м³/day × 31 = 0 м³ × 30,00 = 0,00 — not the norm
    # (1 person × 3 м³ = 90,00 грн)
    assert (quantity, amount, source) == (D("0.000"), D("0.00"), "estimated")
    assert "середньодобове 0 × 31 дн. = 0" in explanation
