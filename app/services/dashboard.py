"""The home page's figures (issue 11, «The dashboard»): one call, a plain :class:`Dashboard`.

Every figure is asked of its owner — nothing here sums money itself:

* charged against collected by month and the collection rate: :func:`ledger.charged_collected`;
* the debt and its age (FIFO buckets 0–1 … 36+ months): :func:`ledger.aging_totals`, counted on the
  day the debtors report of the open period counts them (today in Kyiv, within the period);
* the imbalance % trend (house meters against the individual volumes):
  :func:`reports.consumption.imbalance_trend`;
* meters without a reading in the open period: :func:`reports.worklists.readings_missing_count`;
* the open period's state: the billing screen's own questions (:mod:`services.billing.screens`,
  :func:`services.billing.close_problems`).

Each part costs a few aggregate statements whatever the number of accounts, but the aging reads
every account's stored state and steps it over the entries posted since the close — about 5 s at
100,000 accounts (bench/dashboard.py). The home page therefore keeps the aging totals per process
(:func:`aging_totals`), keyed by what determines them: the database, the journal's last entry
(the journal is append-only: any new entry — a payment, a reversal, the close — changes it), the
latest stored state and the day. A page after a change computes them again; the next ones are
instant. Likewise the closed months of the chart (:func:`month_flows`: nothing is ever posted into
a closed period) and of the imbalance trend (:func:`imbalance_months`), per last closed period.
``DASHBOARD_CACHE`` (default: on; off under ``TESTING``, whose databases restart their ids)
switches them all.

The caller says which parts the user may see: ``money`` (charged, collected, debt, imbalance — not an inspector's), ``work`` (the
readings missing, within ``building_ids`` — an inspector's buildings), ``billing`` (the open
period's state).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from ..models import BillingWarning
from . import ledger
from .ledger.aging import BUCKETS
from .ledger.trend import MonthFlow, collection_rate

MONTHS = 12
_CACHE: dict = {}
_CACHE_SIZE = 16


def _cache_enabled() -> bool:
    from flask import current_app, has_app_context

    if not has_app_context():
        return False
    return bool(current_app.config.get("DASHBOARD_CACHE", not current_app.testing))


def month_flows(session, current: str | None, closed: str | None, cache: bool | None = None) -> list[MonthFlow]:
    """:func:`ledger.charged_collected` of the 12 months up to the open period. Kept: the closed
    months' part (nothing is ever posted into a closed period), per database and last closed
    period; the open month is always read."""
    from ..billing.periods import next_period

    if not (_cache_enabled() if cache is None else cache) or current is None or closed is None \
            or next_period(closed) != current:
        return ledger.charged_collected(session, MONTHS)
    key = ("flows", str(session.get_bind().url), closed)
    past = _CACHE.get(key)
    if past is None:
        past = ledger.charged_collected(session, MONTHS - 1, last=closed)
        _keep(key, past)
    return list(past) + ledger.charged_collected(session, 1, last=current)


def imbalance_months(session, current: str | None, closed: str | None, cache: bool | None = None) -> list[dict]:
    """:func:`reports.consumption.imbalance_trend` of the 12 months up to the open period (or the
    last closed one). Kept like :func:`month_flows`: the closed months' part per database and last
    closed period (their charge lines are frozen; their meter volumes change only at a close, which
    moves the key); the open month is always read."""
    from ..billing.periods import next_period
    from .reports.consumption import imbalance_trend

    last = current or closed
    if last is None:
        return []
    if not (_cache_enabled() if cache is None else cache) or current is None or closed is None \
            or next_period(closed) != current:
        return list(imbalance_trend(session, last, MONTHS) or [])
    key = ("imbalance", str(session.get_bind().url), closed)
    past = _CACHE.get(key)
    if past is None:
        past = imbalance_trend(session, closed, MONTHS - 1)
        _keep(key, past)
    return [dict(p) for p in past] + imbalance_trend(session, current, 1)


def _keep(key, value) -> None:
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = value


def aging_totals(session, day: date, cache: bool | None = None) -> dict:
    """:func:`ledger.aging_totals` of the town on ``day``, kept per process while the journal and
    the stored debt ages stay as they were (see the module docstring)."""
    from ..models import DebtAgePeriod

    if not (_cache_enabled() if cache is None else cache):
        return ledger.aging_totals(session, day)
    key = (str(session.get_bind().url), ledger.entry_mark(session),
           session.scalar(select(func.max(DebtAgePeriod.period))), day)
    found = _CACHE.get(key)
    if found is None:
        found = ledger.aging_totals(session, day)
        _keep(key, found)
    return dict(found)


@dataclass
class PeriodState:
    """The open period as the billing screen sees it."""

    period: str
    billed: bool             # every building with accounts has a billing run of the period
    billed_buildings: int
    unbilled_buildings: int
    run_status: str | None   # the latest run's: running / done / failed (None: no run yet)
    warnings: int
    problems: list[str] = field(default_factory=list)  # why it cannot be closed now

    @property
    def ready_to_close(self) -> bool:
        return self.billed and not self.problems and self.run_status != "running"


@dataclass
class Dashboard:
    today: date
    open_period: str | None
    last_closed: str | None
    # money (None when the user may not see it)
    flows: list[MonthFlow] | None = None
    rate_last_closed: Decimal | None = None   # collected / charged of the last closed period, %
    rate_year: Decimal | None = None          # the same over the closed periods of the chart, %
    aging: dict | None = None                 # {bucket: amount, "debt": total} (ledger.aging_totals)
    imbalance: list[dict] | None = None       # consumption.imbalance_trend: [] = no data yet
    # work
    readings_period: str | None = None
    readings_missing: int | None = None
    # the open period's state
    period_state: PeriodState | None = None

    @property
    def buckets(self) -> tuple[str, ...]:
        return BUCKETS


def period_state(session, period: str) -> PeriodState:
    from .billing import close_problems
    from .billing.screens import billed_buildings, latest_run, unbilled_buildings

    unbilled = unbilled_buildings(session, period)
    billed = billed_buildings(session, period)
    run = latest_run(period)
    warnings = session.scalar(select(func.count()).select_from(BillingWarning)
                              .where(BillingWarning.period == period)) or 0
    running = run is not None and run.status == "running"
    return PeriodState(period=period, billed=billed > 0 and not unbilled, billed_buildings=billed,
                       unbilled_buildings=len(unbilled), run_status=run.status if run is not None else None,
                       warnings=warnings, problems=[] if running else close_problems(session, period))


def dashboard(session, *, today: date | None = None, money: bool = True, work: bool = True, billing: bool = True,
              building_ids=None) -> Dashboard:
    """The figures of the home page (see the module docstring); ``building_ids`` narrows the work
    figures (an inspector's buildings; None: the whole town)."""
    from .reports.worklists import readings_missing_count

    current = ledger.open_period(session)
    closed = ledger.last_closed(session)
    if today is None:  # the day the debtors report of the open period counts the ages on
        from ..validation.readings import local_today
        from .reports.debtors import state_and_day

        today = state_and_day(session, current)[1] if current else local_today()
    result = Dashboard(today=today, open_period=current, last_closed=closed)
    if money:
        result.flows = flows = month_flows(session, current, closed)
        done = [f for f in flows if not f.open]
        last = next((f for f in reversed(done) if f.period == closed), None)
        result.rate_last_closed = last.rate if last is not None else None
        result.rate_year = collection_rate(sum((f.collected for f in done), Decimal("0.00")),
                                           sum((f.charged for f in done), Decimal("0.00")))
        result.aging = aging_totals(session, today)
        result.imbalance = imbalance_months(session, current, closed)
    if work and current is not None:
        result.readings_period = current
        result.readings_missing = readings_missing_count(session, current, building_ids)
    if billing and current is not None:
        result.period_state = period_state(session, current)
    return result
