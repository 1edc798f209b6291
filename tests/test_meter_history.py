"""A meter's installation, verification, seal and removal are recorded as history events."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models import Building, Meter, MeterEvent, MeterType


def _kinds(session, meter):
    return sorted((e.kind, e.date) for e in session.scalars(select(MeterEvent).where(MeterEvent.meter_id == meter.id)))


def test_history_is_written_on_create_and_change(db_session):
    building = db_session.scalar(select(Building).where(Building.code == "B2"))
    meter_type = db_session.scalar(select(MeterType).where(MeterType.code == "CW"))
    meter = Meter(serial="HIST-1", meter_type=meter_type, building=building, installed_on=date(2025, 3, 1),
                  initial_reading=Decimal("7"), verified_on=date(2025, 3, 1))
    db_session.add(meter)
    db_session.commit()
    assert _kinds(db_session, meter) == [("installation", date(2025, 3, 1)), ("verification", date(2025, 3, 1))]
    installation = db_session.scalar(select(MeterEvent).where(MeterEvent.meter_id == meter.id,
                                                              MeterEvent.kind == "installation"))
    assert installation.reading == Decimal("7")

    meter.seal_number = "PL-001"
    meter.sealed_on = date(2025, 4, 2)
    db_session.commit()
    meter.removed_on = date(2026, 1, 31)
    meter.final_reading = Decimal("120.5")
    db_session.commit()
    assert _kinds(db_session, meter) == [
        ("installation", date(2025, 3, 1)), ("removal", date(2026, 1, 31)),
        ("seal", date(2025, 4, 2)), ("verification", date(2025, 3, 1)),
    ]

    meter.seal_number = "PL-001"  # unchanged value: no new event
    db_session.commit()
    assert len(_kinds(db_session, meter)) == 4
