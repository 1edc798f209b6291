"""Periods: exactly one open month. ``open_first`` starts a new database's accounting."""
from sqlalchemy import select

from ..billing.periods import parse_period
from ..extensions import db
from ..models import Period


class PeriodError(Exception):
    pass


def current_period() -> str | None:
    return db.session.scalar(select(Period.period).where(Period.status == "open"))


def open_first(period: str) -> Period:
    try:
        parse_period(period)
    except ValueError:
        raise PeriodError(f"Період записується як РРРР-ММ: {period!r}")
    existing = db.session.scalar(select(Period).limit(1))
    if existing is not None:
        raise PeriodError(
            f"Облік уже розпочато: відкритий період {current_period() or existing.period}. "
            "Наступні періоди відкриваються закриттям поточного."
        )
    row = Period(period=period, status="open")
    db.session.add(row)
    db.session.commit()
    return row
