"""The age of a debt by FIFO (billing.md §11): which months' charges are still unpaid.

**The rule.** For each account and service, the journal is read as two sides:

* *charges of a month* — every entry except the credits below, summed per ``target_period``
  (the month they concern): charges, imbalance, benefits, recalculations, penalties, the
  opening balance, and reversals of those. A month whose sum is positive is a debt of that
  month; a month whose sum is negative (a recalculation larger than the charges) is a credit;
* *credits* — ``payment``, ``subsidy``, ``write_off`` entries and their reversals, whatever
  month they concern.

The credits (plus the negative months) pay the oldest months first. What is left unpaid of a
month M is ``min(debt(M), max(0, cumulative debt up to M − credits))``. The months left unpaid
add up to the balance when it is a debt; when the credits exceed every charge, nothing is
unpaid and the rest is an advance (``balance − Σ unpaid``, negative).

**The age** of month M's debt on a day T: the journal dates a month's charges its last day, so
M's debt is *older than k months* on T when ``T > last_day(M) + k months`` (a term counted as
ЦК ст. 253–254 count it: 31.10.2023 + 36 months = 31.10.2026). On 31.10.2026 the October 2023
debt is exactly 36 months old — not yet barred; on 01.11.2026 it is.

Worked example (one service, 100,00 a month charged in January–April 2023, then payments of
150,00 and 30,00): the credits, 180,00, pay January (100,00)
and 80,00 of February; unpaid: February 20,00, March 100,00, April 100,00 = the balance 220,00;
the oldest unpaid month is February. On 01.04.2026 (February's debt, dated 28.02.2023, is older
than 36 months since 01.03.2026; March's, dated 31.03.2023, only after 31.03.2026) the part
older than 36 months is February's 20,00 + March's 100,00 = 120,00.

Everything is one query per question, set-based (window sums over the journal grouped by
account, service and month) — for the whole town or for some accounts:

* :func:`debts_older_than` — per account and service, the part of the debt older than ``months`` months
  and the oldest unpaid month (the write-off candidates);
* :func:`aging` — per account and service, the unpaid debt in age buckets (0–1, 1–3, 3–6,
  6–12, 12–36, 36+ months: the debtors' report), the balance and the advance.

The credits of an account and service never add up to more than zero in a real journal (a
reversal cancels a credit that was posted); if they did, that surplus would be a debt of no
month: it is left out of the months (the advance then shows it, positive).

The open period's draft (the last billing run's lines) is not in the journal yet and is not
counted: its charges are the youngest anyway.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, or_, select, type_coerce, union_all

from ...billing.periods import add_months, last_day, period_of, previous_period
from ...models import JournalEntry
from ...models.types import MONEY
from .books import ZERO, _chunks, money

# credits pay the oldest months first, whatever month they concern
CREDIT_KINDS = ("payment", "subsidy", "write_off")
# the debtors' report's buckets: upper bounds of age in months (None: older than the last)
BUCKET_EDGES = (1, 3, 6, 12, 36)
BUCKETS = ("0-1", "1-3", "3-6", "6-12", "12-36", "36+")


def older_than(month: str, months: int, day: date) -> bool:
    """Is the debt of ``month`` older than ``months`` months on ``day``?"""
    return day > add_months(last_day(month), months)


def last_month_older_than(months: int, day: date) -> str:
    """The latest month whose debt is older than ``months`` months on ``day`` (every month up to
    it is, none after it)."""
    month = period_of(add_months(day, -months))
    while not older_than(month, months, day):
        month = previous_period(month)
    return month


def fifo(months: dict, credits) -> tuple[dict, Decimal]:
    """The rule in plain Python (the query's reference, used by the tests and the docs):
    ``months`` {month: net charges}, ``credits`` the credits' sum (negative) →
    ({month: unpaid}, advance)."""
    pool = -Decimal(credits) - sum((v for v in months.values() if v < 0), ZERO)
    unpaid, cumulative = {}, ZERO
    for month in sorted(months):
        debt = months[month]
        if debt <= 0:
            continue
        cumulative += debt
        left = cumulative - pool
        unpaid[month] = ZERO if left <= 0 else min(debt, left)
    balance = sum(months.values(), ZERO) + Decimal(credits)
    return unpaid, balance - sum(unpaid.values(), ZERO)


def _credit_side():
    return or_(JournalEntry.kind.in_(CREDIT_KINDS),
               and_(JournalEntry.kind == "reversal",
                    func.coalesce(JournalEntry.detail_kind, "").in_(CREDIT_KINDS)))


def _unpaid_months(account_ids=None):
    """A subquery: (account_id, service_id, month, unpaid) for every month with a positive
    charge, ``unpaid`` what the credits left of it (FIFO); ``account_ids`` a chunk or None."""
    je = JournalEntry
    scope = [je.account_id.in_(account_ids)] if account_ids is not None else []
    side = _credit_side()
    monthly = (select(je.account_id, je.service_id, je.target_period.label("month"),
                      func.sum(je.amount).label("net"))
               .where(~side, *scope)
               .group_by(je.account_id, je.service_id, je.target_period)).cte("monthly")
    # the credits and the months with a negative net, as one pool per account and service
    paid = union_all(
        select(je.account_id.label("account_id"), je.service_id.label("service_id"), je.amount.label("amount"))
        .where(side, *scope),
        select(monthly.c.account_id, monthly.c.service_id, monthly.c.net).where(monthly.c.net < 0),
    ).subquery("paid")
    pools = (select(paid.c.account_id, paid.c.service_id, (-func.sum(paid.c.amount)).label("pool"))
             .group_by(paid.c.account_id, paid.c.service_id)).subquery("pools")
    cumulative = func.sum(monthly.c.net).over(partition_by=(monthly.c.account_id, monthly.c.service_id),
                                              order_by=monthly.c.month)
    debts = (select(monthly.c.account_id, monthly.c.service_id, monthly.c.month, monthly.c.net.label("debt"),
                    cumulative.label("cumulative"))
             .where(monthly.c.net > 0)).subquery("debts")
    # the account-level entries (no service) are a pool of their own: 0 stands for «no service»
    same = and_(pools.c.account_id == debts.c.account_id,
                func.coalesce(pools.c.service_id, 0) == func.coalesce(debts.c.service_id, 0))
    left = debts.c.cumulative - func.coalesce(pools.c.pool, 0)
    unpaid = case((left <= 0, 0), (left >= debts.c.debt, debts.c.debt), else_=left)
    return (select(debts.c.account_id, debts.c.service_id, debts.c.month, type_coerce(unpaid, MONEY).label("unpaid"))
            .select_from(debts.outerjoin(pools, same))).subquery("unpaid")


def _parts(account_ids):
    if account_ids is None:
        yield None
    else:
        yield from _chunks(account_ids)


@dataclass(frozen=True)
class OldDebt:
    """The part of an account's debt on a service older than the limit (a write-off candidate)."""

    account_id: int
    service_id: int
    debt: Decimal        # the whole unpaid debt (= the balance) of the account on the service
    amount: Decimal      # the part of it older than the limit
    oldest_unpaid: str   # the oldest month not paid in full


def debts_older_than(session, months: int, day: date, account_ids=None) -> list[OldDebt]:
    """Per account and service (not the account-level advance), the debt whose months are older
    than ``months`` months on ``day`` — only where there is some; ordered by account and
    service. One query (per chunk of ``account_ids``)."""
    cutoff = last_month_older_than(months, day)
    rows = []
    for part in _parts(_may_be_overdue(session, cutoff, account_ids)):
        u = _unpaid_months(part)
        old = func.sum(case((u.c.month <= cutoff, u.c.unpaid), else_=0))
        oldest = func.min(case((u.c.unpaid > 0, u.c.month), else_=None))
        stmt = (select(u.c.account_id, u.c.service_id, func.sum(u.c.unpaid), type_coerce(old, MONEY), oldest)
                .where(u.c.service_id.is_not(None))
                .group_by(u.c.account_id, u.c.service_id)
                .having(old > 0))
        rows += [OldDebt(a, s, money(debt), money(amount), first)
                 for a, s, debt, amount, first in session.execute(stmt)]
    return sorted(rows, key=lambda r: (r.account_id, r.service_id))


def _may_be_overdue(session, cutoff: str, account_ids=None) -> list[int]:
    """The accounts that may have debt of months up to ``cutoff`` — one pass over the journal,
    no window: the unpaid part of the old months is at most Σ positive non-credit entries of
    those months + Σ credits (a month's positive net is at most its positive entries, and the
    negative months only add to what pays). The exact FIFO then runs on these accounts only."""
    je = JournalEntry
    side = _credit_side()
    bound = func.sum(case((side, je.amount), (and_(je.target_period <= cutoff, je.amount > 0), je.amount), else_=0))
    found = set()
    for part in _parts(account_ids):
        scope = [je.account_id.in_(part)] if part is not None else []
        stmt = (select(je.account_id).where(je.service_id.is_not(None), *scope)
                .group_by(je.account_id, je.service_id).having(bound > 0))
        found.update(session.scalars(stmt))
    return sorted(found)


@dataclass
class Aging:
    """The unpaid debt of an account on a service by age: ``buckets`` {bucket: amount} over
    :data:`BUCKETS`; ``advance`` (≤ 0) what the credits paid beyond every charge; ``balance`` =
    Σ buckets + advance."""

    buckets: dict = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    balance: Decimal = ZERO
    oldest_unpaid: str | None = None

    @property
    def advance(self) -> Decimal:
        return self.balance - sum(self.buckets.values(), ZERO)


def bucket_cutoffs(day: date, edges=BUCKET_EDGES) -> list[str]:
    """The latest month of each bucket boundary on ``day`` (see :func:`last_month_older_than`)."""
    return [last_month_older_than(k, day) for k in edges]


def aging(session, day: date, account_ids=None) -> dict[tuple, Aging]:
    """{(account, service or None): :class:`Aging`} of every account and service with entries
    (or of ``account_ids``): two queries per chunk — the unpaid months grouped by bucket, and
    the balances."""
    cutoffs = bucket_cutoffs(day)
    result: dict[tuple, Aging] = defaultdict(Aging)
    for part in _parts(account_ids):
        u = _unpaid_months(part)
        # the oldest bucket first: a month at or before the cutoff of «older than 36» is 36+
        whens = [(u.c.month <= cut, literal(name)) for cut, name in zip(reversed(cutoffs), reversed(BUCKETS))]
        bucket = case(*whens, else_=literal(BUCKETS[0])).label("bucket")
        oldest = func.min(case((u.c.unpaid > 0, u.c.month), else_=None))
        for a, s, name, amount, first in session.execute(
                select(u.c.account_id, u.c.service_id, bucket, func.sum(u.c.unpaid), oldest)
                .group_by(u.c.account_id, u.c.service_id, bucket)):
            row = result[(a, s)]
            row.buckets[name] += money(amount)
            if first is not None and (row.oldest_unpaid is None or first < row.oldest_unpaid):
                row.oldest_unpaid = first
        scope = [JournalEntry.account_id.in_(part)] if part is not None else []
        for a, s, amount in session.execute(
                select(JournalEntry.account_id, JournalEntry.service_id, func.sum(JournalEntry.amount))
                .where(*scope).group_by(JournalEntry.account_id, JournalEntry.service_id)):
            result[(a, s)].balance = money(amount)
    return dict(result)


def aging_totals(session, day: date, building_ids=None) -> dict:
    """The town's (or ``building_ids``') debt by age on ``day``: {bucket: amount} over :data:`BUCKETS`
    plus ``"debt"`` (their sum) — the dashboard's figure."""
    from ...models import Account, Premise

    account_ids = None
    if building_ids is not None:
        account_ids = list(session.scalars(select(Account.id).join(Premise, Premise.id == Account.premise_id)
                                           .where(Premise.building_id.in_(building_ids))))
    totals = dict.fromkeys(BUCKETS, ZERO)
    for row in aging(session, day, account_ids).values():
        for name, amount in row.buckets.items():
            totals[name] += amount
    totals["debt"] = sum((totals[b] for b in BUCKETS), ZERO)
    return totals
