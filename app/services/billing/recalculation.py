"""Перерахунок: closed months computed again with today's data (billing.md §10) — which
months a building needs (:func:`recalculation_starts`), what the journal holds for them
(:func:`_posted`: the ledger's :func:`~app.services.ledger.posted_by_target`), and the difference as
lines of the open period (:func:`recalculation_lines`). The months themselves are billed by
:mod:`.building`.

Which months. The database triggers log every change of billing data (``billing_change``:
building or all, first day affected). A building's draft of the open period remembers the
last log entry it had seen (``billing_building.change_mark``); once the period closes, that
mark is the building's baseline. At the next run, the entries after the baseline that concern
the building and a closed day decide where its recalculation starts: the month of the
earliest day (an entry without a day: as far back as allowed). Every closed month from there
on is computed again, in order — a month's meter volumes feed the next month's estimates and
true-ups — but no further back than the look-back setting (``recalculation_lookback_months``,
default 36) and only months the building was billed in (a building loaded later is not billed
for months before it joined).

What is posted. For each month ``P`` computed again: ``computed(P) − posted(P)`` per
account, service and kind (charge, imbalance, benefit), where ``posted(P)`` is what the
journal holds for ``P``: its charge, imbalance and benefit entries and the recalculations
already posted for it. Non-zero differences become ``recalculation`` lines of the open period
with ``target_period = P``.

The penalty of a closed month is compared only for the accounts whose restructuring agreement
was cancelled after its approval (:func:`app.services.restructuring.cancelled_in_building`;
cancelling logs a change from the agreement's debt date, so the months it held are computed
again): their penalty of ``P`` is computed as the ledger stood for ``P`` but without the
agreement, and ``computed − posted`` of kind ``penalty`` (its ``penalty`` entries and the
penalty recalculations already posted for ``P``) becomes a ``recalculation`` line with
``detail_kind`` ``penalty`` — the penalty the agreement kept out, once: a later computation of
``P`` finds it posted. The recomputed meter volumes replace the stored ones when the open
period closes, and the open period itself is billed on top of them.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, or_, select

from ...billing.codes import LINE_KINDS, PENALTY, RECALCULATION
from ...billing import phrases as P
from ...billing.money import round_qty
from ...billing.periods import first_day, last_day, period_of
from ...models import BillingBuilding, BillingChange, Period
from .. import ledger
from .draft import DraftLine
from .load import Catalog, months_back

POSTED_KINDS = LINE_KINDS  # what a month posted: charge, imbalance, benefit
COMPARED_KINDS = POSTED_KINDS + (PENALTY,)  # and the penalty, for the accounts of a cancelled agreement


# PostgreSQL: how long one attempt waits for the writers in flight, how long in all
MARK_LOCK_TIMEOUT_MS = 500
MARK_WAIT_SECONDS = 30.0


def current_mark(session) -> int:
    """The newest change-log entry such that every change up to it is committed — read before
    a building's data is loaded, so that a draft with this mark holds every change up to it.

    SQLite has one writer: its ids are committed in order. PostgreSQL hands an id out when the
    row is inserted, not when its transaction commits: an import still writing holds ids below
    a reading saved and committed meanwhile, and ``max(id)`` alone would take the import's
    changes, still invisible to the run, as seen — a draft missing them that no close would
    call stale. So on PostgreSQL the mark is read under a momentary ``SHARE`` lock of the
    change log (it waits for the transactions writing to it, and is given back at once with
    a commit); while a long import holds the log, the run retries for up to
    ``MARK_WAIT_SECONDS`` (each attempt queueing other writers for at most
    ``MARK_LOCK_TIMEOUT_MS``), then takes 0 — its draft is stale, and the close asks for a
    new run once the import is done. Commits the session's transaction."""
    newest = select(func.coalesce(func.max(BillingChange.id), 0))
    if session.connection().dialect.name != "postgresql":
        return session.scalar(newest) or 0
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    session.commit()
    deadline = time.monotonic() + MARK_WAIT_SECONDS
    while True:
        try:
            session.execute(text(f"SET LOCAL lock_timeout = '{int(MARK_LOCK_TIMEOUT_MS)}ms'"))
            session.execute(text("LOCK TABLE billing_change IN SHARE MODE"))
            mark = session.scalar(newest) or 0
            session.commit()
            return mark
        except OperationalError as error:
            session.rollback()
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                if "lock" not in str(error).lower():
                    raise
                return 0
            time.sleep(MARK_LOCK_TIMEOUT_MS / 1000)


def closed_periods(session, before: str) -> list[str]:
    return list(session.scalars(select(Period.period).where(Period.status == "closed", Period.period < before)
                                .order_by(Period.period)))


def recalculation_starts(session, catalog: Catalog, building_ids, period: str) -> dict[int, list[str]]:
    """The closed months to compute again, in order, per building that needs any: from the
    first month a change concerns, the months before ``period`` the building was billed in."""
    closed = closed_periods(session, period)
    if not closed:
        return {}
    last_closed = closed[-1]
    earliest = max(months_back(period, catalog.lookback(period)), closed[0])
    if earliest > last_closed:
        return {}
    ids = list(building_ids)
    billed = defaultdict(set)
    baseline = {}
    for row in session.execute(select(BillingBuilding.building_id, BillingBuilding.period, BillingBuilding.change_mark)
                               .where(BillingBuilding.building_id.in_(ids), BillingBuilding.period < period)
                               .order_by(BillingBuilding.period)).all():
        billed[row.building_id].add(row.period)
        baseline[row.building_id] = row.change_mark  # the latest closed month's mark
    if not baseline:
        return {}
    lowest = min(baseline.values())
    changes = session.execute(
        select(BillingChange.id, BillingChange.building_id, BillingChange.day).where(
            BillingChange.id > lowest,
            or_(BillingChange.building_id.in_(ids), BillingChange.building_id.is_(None)),
            or_(BillingChange.day.is_(None), BillingChange.day <= last_day(last_closed)))).all()
    starts = {}
    for row in changes:
        targets = [row.building_id] if row.building_id is not None else list(baseline)
        month = period_of(row.day) if row.day is not None else earliest
        for building_id in targets:
            if building_id not in baseline or row.id <= baseline[building_id]:
                continue
            start = max(month, earliest)
            if building_id not in starts or start < starts[building_id]:
                starts[building_id] = start
    result = {}
    for building_id, start in starts.items():
        first = [p for p in closed if p >= start and p in billed[building_id]]
        if first:  # from the first closed month billed on, every month billed before the open one
            result[building_id] = sorted(p for p in billed[building_id] if p >= first[0])
    return result


def recalculation_lines(session, catalog: Catalog, building_id: int, months: dict, cancelled=None,
                        penalty_months=()) -> list[DraftLine]:
    """``computed − posted`` per month, account, service and kind, for the months computed
    again (``months``: month → the engine's result), as ``recalculation`` lines.
    ``cancelled``: {account: numbers of its agreements cancelled}, whose penalty of the months
    ``penalty_months`` (those computed with the penalty on) is compared too."""
    cancelled = cancelled or {}
    penalty_months = set(penalty_months)

    def compared(month, account_id, kind) -> bool:
        return kind in POSTED_KINDS or (kind == PENALTY and month in penalty_months and account_id in cancelled)

    computed = {}
    for month, outcome in months.items():
        for line in outcome.lines:
            if not compared(month, line.account_id, line.kind):
                continue
            entry = computed.setdefault((month, line.account_id, line.service_id, line.kind),
                                        [Decimal(0), Decimal(0), [], line.method])
            entry[0] += line.amount
            entry[1] += line.quantity
            entry[2].append(line)
    was = {key: value for key, value in _posted(session, building_id, list(months), bool(cancelled)).items()
           if compared(key[0], key[1], key[3])}
    services = {s.id: s for s in catalog.services}
    keys = sorted(set(computed) | set(was), key=lambda k: (k[1], k[2], k[0], COMPARED_KINDS.index(k[3])))
    result = []
    for key in keys:
        month, account_id, service_id, kind = key
        now_amount, now_quantity, lines, method = computed.get(key, (Decimal(0), Decimal(0), [], None))
        was_amount, was_quantity = was.get(key, (Decimal(0), Decimal(0)))
        precision = services[service_id].quantity_precision if service_id in services else 4
        now_quantity, was_quantity = round_qty(now_quantity, precision), round_qty(was_quantity, precision)
        delta, delta_quantity = now_amount - was_amount, now_quantity - was_quantity
        if kind == PENALTY:  # a penalty's quantity is its base: only the money is compared
            delta_quantity = None
            if delta == 0:
                continue
            explanation = [("recalc_penalty", month, kind, P.money(now_amount), P.money(was_amount), P.money(delta)),
                           ("recalc_cancelled", ", ".join(cancelled[account_id]), month)]
        elif delta == 0 and delta_quantity == 0:
            continue
        else:
            explanation = [("recalc", month, kind, P.money(now_amount), P.num(now_quantity), P.money(was_amount),
                            P.num(was_quantity), P.money(delta))]
        for line in lines:
            explanation.extend(("in", month, phrase) for phrase in line.explanation)
        result.append(DraftLine(
            month, account_id, service_id, RECALCULATION, kind, first_day(month), last_day(month), None, None,
            delta_quantity, _single_price(lines) if kind != PENALTY else None, delta, method, _single_source(lines),
            None, None,
            P.encode(explanation)))
    return result


def _single_price(lines):
    prices = {line.price for line in lines if line.price is not None}
    return prices.pop() if len(prices) == 1 else None


def _single_source(lines):
    sources = {line.source for line in lines if line.source}
    return sources.pop() if len(sources) == 1 else None


def _posted(session, building_id: int, months: list[str], penalty: bool = False) -> dict:
    """What the journal holds for the months, from the ledger: (month, account, service, kind) →
    (amount, quantity); a recalculation counts for the kind it corrected; ``penalty``: the
    penalties posted for them too (and their recalculations)."""
    return ledger.posted_by_target(session, building_id, months, COMPARED_KINDS if penalty else POSTED_KINDS)