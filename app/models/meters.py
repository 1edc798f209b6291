"""Облік: meters (flat meters and house meters), their history and readings, and group
metering (which premises a house meter serves)."""
from flask_appbuilder import Model
from sqlalchemy import (
    Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func,
)
from sqlalchemy.orm import relationship

from .choices import METER_EVENT_KINDS, READING_SOURCES
from .types import READING, enum_check
from .versioned import Versioned


class Meter(Versioned, Model):
    """Прилад обліку. ``premise`` empty = a house meter (загальнобудинковий лічильник)."""

    __tablename__ = "meter"
    id = Column(Integer, primary_key=True)
    serial = Column(String(50), unique=True, nullable=False)
    meter_type_id = Column(Integer, ForeignKey("meter_type.id"), nullable=False, index=True)
    meter_type = relationship("MeterType", lazy="selectin")
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False, index=True)
    building = relationship("Building", lazy="selectin")
    premise_id = Column(Integer, ForeignKey("premise.id"), index=True)
    premise = relationship("Premise", backref="meters", lazy="selectin")
    installed_on = Column(Date, nullable=False)
    initial_reading = Column(READING, nullable=False, default=0)
    removed_on = Column(Date)
    final_reading = Column(READING)
    verified_on = Column(Date)
    next_verification = Column(Date, index=True)
    seal_number = Column(String(50))
    sealed_on = Column(Date)

    @property
    def is_house_meter(self):
        return self.premise_id is None

    def __repr__(self):
        return f"№ {self.serial}"


class MeterEvent(Model):
    """One event of a meter's history: installation, removal, verification, seal."""

    __tablename__ = "meter_event"
    __table_args__ = (enum_check("kind", METER_EVENT_KINDS.codes, "ck_meter_event_kind"),)
    id = Column(Integer, primary_key=True)
    meter_id = Column(Integer, ForeignKey("meter.id"), nullable=False, index=True)
    meter = relationship("Meter", backref="events", lazy="selectin")
    date = Column(Date, nullable=False)
    kind = Column(String(20), nullable=False)
    reading = Column(READING)
    document = Column(String(100))
    note = Column(Text)

    def __repr__(self):
        return f"{self.meter} {self.kind} {self.date}"


class Reading(Model):
    """Показник лічильника on a date, with its source (контролер, мешканець, імпорт)."""

    __tablename__ = "reading"
    __table_args__ = (
        UniqueConstraint("meter_id", "date", name="uq_reading_meter_date"),
        enum_check("source", READING_SOURCES.codes, "ck_reading_source"),
        Index("ix_reading_date_id", "date", "id"),  # the list's order: date DESC, id DESC
    )
    id = Column(Integer, primary_key=True)
    meter_id = Column(Integer, ForeignKey("meter.id"), nullable=False)
    meter = relationship("Meter", backref="readings", lazy="selectin")
    date = Column(Date, nullable=False)
    value = Column(READING, nullable=False)
    source = Column(String(20), nullable=False, default="inspector")
    entered_by = Column(String(100))
    entered_at = Column(DateTime, server_default=func.now())
    # the last change after entry (form, API, import); the author above stays
    edited_by = Column(String(100))
    edited_at = Column(DateTime)

    def __repr__(self):
        return f"{self.meter} {self.date}: {self.value}"


class GroupMeterPremise(Model):
    """Груповий облік: a premise served by a house meter. A house meter with no rows here
    serves every premise of its building (billing.md §5)."""

    __tablename__ = "group_meter_premise"
    __table_args__ = (UniqueConstraint("meter_id", "premise_id", name="uq_group_meter_premise"),)
    id = Column(Integer, primary_key=True)
    meter_id = Column(Integer, ForeignKey("meter.id"), nullable=False, index=True)
    meter = relationship("Meter", backref="group_premises", lazy="selectin")
    premise_id = Column(Integer, ForeignKey("premise.id"), nullable=False, index=True)
    premise = relationship("Premise", lazy="selectin")

    def __repr__(self):
        return f"{self.meter} → {self.premise}"
