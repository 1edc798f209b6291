"""What the validators need to know about *other* records, behind one small interface.

The rules in ``rules.py`` and ``readings.py`` are pure: a record and a few facts in, a list of
``FieldError`` out. The facts come from a provider:

* :class:`SessionFacts` reads them from the database, one record at a time — the forms and
  the REST API use it through :func:`app.validation.validate`;
* the import (``app.services.imports.facts.BulkFacts``) loads them for a whole file in a
  few queries and adds each row it accepts, so that the next rows of the same file are
  checked against it — exactly as if the rows had been entered on the form one by one.

Both answer the same questions with the same shapes, so a record is accepted by an import
exactly when the same record would be accepted by a form.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

from sqlalchemy import func, select


class Span(NamedTuple):
    """A dated record of another row: its id and inclusive dates (``date_to`` None = open)."""

    id: int | None
    date_from: date | None
    date_to: date | None
    label: str | None = None  # e.g. the account number, for the message


class ReadingPoint(NamedTuple):
    date: date
    value: Decimal


@dataclass(frozen=True)
class Neighbours:
    """The readings of a meter around a day, the record being edited left out."""

    same_day: bool
    previous: ReadingPoint | None
    next: ReadingPoint | None


class Facts(Protocol):
    def organisation_count(self, exclude_id: int | None) -> int: ...

    def registration_spans(self, resident_id: int, premise_id: int) -> list[Span]: ...

    def premise_accounts(self, premise_id: int) -> list[Span]: ...

    def account_service_spans(self, account_id: int, service_id: int) -> list[Span]: ...

    def meter_reading_dates(self, meter_id: int) -> tuple[date, date] | None: ...

    def reading_neighbours(self, meter_id: int, day: date, exclude_id: int | None) -> Neighbours: ...

    def premise_group_meters(self, premise_id: int) -> list[tuple[str, int]]: ...

    def meter_group_premises(self, meter_id: int) -> list[tuple[str, int]]: ...


class SessionFacts:
    """Facts read from the database for one record (forms and the REST API)."""

    def __init__(self, session):
        self.session = session

    def organisation_count(self, exclude_id):
        from ..models import Organisation

        query = select(func.count()).select_from(Organisation)
        if exclude_id is not None:
            query = query.where(Organisation.id != exclude_id)
        return self.session.scalar(query)

    def registration_spans(self, resident_id, premise_id):
        from ..models import Registration

        rows = self.session.execute(
            select(Registration.id, Registration.date_from, Registration.date_to)
            .where(Registration.resident_id == resident_id, Registration.premise_id == premise_id))
        return [Span(*row) for row in rows]

    def premise_accounts(self, premise_id):
        from ..models import Account

        rows = self.session.execute(
            select(Account.id, Account.opened_on, Account.closed_on, Account.account_number)
            .where(Account.premise_id == premise_id).order_by(Account.account_number))
        return [Span(*row) for row in rows]

    def account_service_spans(self, account_id, service_id):
        from ..models import AccountService

        rows = self.session.execute(
            select(AccountService.id, AccountService.date_from, AccountService.date_to)
            .where(AccountService.account_id == account_id, AccountService.service_id == service_id))
        return [Span(*row) for row in rows]

    def meter_reading_dates(self, meter_id):
        from ..models import Reading

        row = self.session.execute(
            select(func.min(Reading.date), func.max(Reading.date)).where(Reading.meter_id == meter_id)).first()
        return (row[0], row[1]) if row and row[0] is not None else None

    def reading_neighbours(self, meter_id, day, exclude_id):
        from ..models import Reading

        def query(*conditions):
            stmt = select(Reading.date, Reading.value).where(Reading.meter_id == meter_id, *conditions)
            if exclude_id is not None:
                stmt = stmt.where(Reading.id != exclude_id)
            return stmt

        same_day = self.session.execute(query(Reading.date == day).limit(1)).first() is not None
        prev = self.session.execute(query(Reading.date < day).order_by(Reading.date.desc()).limit(1)).first()
        nxt = self.session.execute(query(Reading.date > day).order_by(Reading.date).limit(1)).first()
        return Neighbours(
            same_day,
            ReadingPoint(prev.date, Decimal(prev.value)) if prev else None,
            ReadingPoint(nxt.date, Decimal(nxt.value)) if nxt else None,
        )

    def premise_group_meters(self, premise_id):
        return [(serial, building_id) for _p, serial, building_id in group_meters_of(self.session, [premise_id])]

    def meter_group_premises(self, meter_id):
        return [(label, building_id) for _m, label, building_id in group_premises_of(self.session, [meter_id])]


def group_meters_of(session, premise_ids):
    """(premise id, serial, building id) of the house meters serving ``premise_ids``."""
    from ..models import GroupMeterPremise, Meter

    return session.execute(
        select(GroupMeterPremise.premise_id, Meter.serial, Meter.building_id)
        .join(Meter, Meter.id == GroupMeterPremise.meter_id)
        .where(GroupMeterPremise.premise_id.in_(premise_ids)).order_by(Meter.serial)).all()


def group_premises_of(session, meter_ids):
    """(meter id, premise label, building id) of the premises served by the house meters ``meter_ids``."""
    from ..models import Building, GroupMeterPremise, Premise

    rows = session.execute(
        select(GroupMeterPremise.meter_id, Building.address, Premise.number, Premise.building_id)
        .join(Premise, Premise.id == GroupMeterPremise.premise_id).join(Building, Building.id == Premise.building_id)
        .where(GroupMeterPremise.meter_id.in_(meter_ids)).order_by(Building.address, Premise.number)).all()
    return [(r.meter_id, f"{r.address}, кв. {r.number}", r.building_id) for r in rows]


def first_overlap(spans, exclude_id, date_from, date_to) -> Span | None:
    """The first span overlapping ``date_from … date_to``, the record ``exclude_id`` (the one
    being edited) left out. Inclusive dates, ``None`` as an end = open ended."""
    from ..billing.periods import overlaps

    for span in spans:
        if exclude_id is not None and span.id == exclude_id:
            continue
        if overlaps(span.date_from, span.date_to, date_from, date_to):
            return span
    return None
