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

**Stored at every close** (``debt_age``, app/models/debt_ages.py): reading the whole journal
for every question took minutes at 100,000 accounts, so the close keeps, per account and
service, what the rule needs to go on — the months not paid in full (and those with a negative
net) with their net and unpaid part, and the surplus of credits. A later state is the stored one
plus the entries posted since (:func:`fifo_step`): credits pay the oldest months, a new month is
appended, a correction of an unpaid month changes it. Where the rule would need a month the state
no longer holds — a charge added to a month paid in full, a credit reversed beyond the surplus —
the step gives up and that account is computed from its whole journal (:func:`fifo_state`), so
the result is always the rule's own (``tests/billing_db/test_debt_ages.py`` proves it against
:func:`fifo` for random histories). With no stored period at all, every account is computed from
its journal.

* :func:`states` — the state of every pair (or of some accounts) at the end of a closed period,
  or now;
* :func:`debts_older_than` — per account and service, the part of the debt older than ``months``
  months and the oldest unpaid month (the write-off candidates);
* :func:`aging` — per account and service, the unpaid debt in age buckets (0–1, 1–3, 3–6,
  6–12, 12–36, 36+ months: the debtors' report), the balance and the advance;
* :func:`store_debt_ages` — the close's part.

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

from sqlalchemy import and_, case, func, or_, select

from ...billing.periods import add_months, last_day, period_of, previous_period
from ...models import JournalEntry
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


@dataclass(frozen=True)
class OldDebt:
    """The part of an account's debt on a service older than the limit (a write-off candidate)."""

    account_id: int
    service_id: int
    debt: Decimal        # the whole unpaid debt (= the balance) of the account on the service
    amount: Decimal      # the part of it older than the limit
    oldest_unpaid: str   # the oldest month not paid in full


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


# -- the state of a pair, and one step of it --------------------------------------------------

@dataclass
class PairState:
    """What FIFO needs of an account and service: ``months`` {month: [net, unpaid]} for every
    month not paid in full (unpaid > 0) or with a negative net, and ``surplus`` — the credits left
    after every month was paid (≥ 0 in a real journal). The balance is Σ unpaid − surplus."""

    months: dict = field(default_factory=dict)
    surplus: Decimal = ZERO

    @property
    def unpaid(self) -> Decimal:
        return sum((u for _, u in self.months.values()), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.unpaid - self.surplus

    def copy(self) -> "PairState":
        return PairState({m: list(v) for m, v in self.months.items()}, self.surplus)


def fifo_state(months: dict, credits) -> PairState:
    """The state from a pair's whole journal: ``months`` {month: net of the non-credits},
    ``credits`` their sum (negative) — :func:`fifo` kept with the nets."""
    unpaid, advance = fifo(months, credits)
    rows = {m: [net, unpaid.get(m, ZERO)] for m, net in months.items() if unpaid.get(m, ZERO) > 0 or net < 0}
    return PairState(rows, -advance)


def fifo_step(state: PairState, deltas: dict, credits, before: str) -> PairState | None:
    """The state after the entries posted since ``before`` (the period ``state`` is the end of):
    ``deltas`` {month: net of the non-credits posted since}, ``credits`` their credits' sum
    (negative pays). None when the rule needs a month the state does not hold (then the pair is
    computed from its whole journal):

    * a positive change of a month paid in full, or of a month with a negative net (its credit
      shrinks) — where the state knows the month's net is 0 (a month after the oldest unpaid
      one, or after ``before``) it is exact;
    * credits reversed beyond the surplus.

    The other changes are exact: a negative change takes what it can from its month's unpaid part
    and the rest pays the oldest months like a credit; then the credits pay the oldest months
    first and what is left is the surplus."""
    rows = {m: list(v) for m, v in state.months.items()}
    pool = state.surplus - Decimal(credits)
    owed = [m for m, (_, u) in rows.items() if u > 0]
    oldest = min(owed) if owed else None

    def net_is_zero(month):  # a month the state does not hold, known to have no charges
        return month > before or (oldest is not None and month > oldest)

    for month in sorted(deltas):
        change = deltas[month]
        if change == 0:
            continue
        row = rows.get(month)
        if change > 0:
            if row is not None:
                if row[0] < 0:
                    return None
                row[0] += change
                row[1] += change
            elif net_is_zero(month):
                rows[month] = [change, change]
            else:
                return None
        elif row is not None:
            taken = ZERO if row[0] < 0 else min(-change, row[1])
            row[0] += change
            row[1] -= taken
            pool += -change - taken
        else:
            if net_is_zero(month):
                rows[month] = [change, ZERO]
            pool += -change
    if pool < 0:
        return None
    for month in sorted(m for m, (_, u) in rows.items() if u > 0):
        if pool <= 0:
            break
        paid = min(pool, rows[month][1])
        rows[month][1] -= paid
        pool -= paid
    return PairState({m: v for m, v in rows.items() if v[1] > 0 or v[0] < 0}, pool)


# -- reading the journal and the stored states --------------------------------------------------

def _credit_side():
    return or_(JournalEntry.kind.in_(CREDIT_KINDS),
               and_(JournalEntry.kind == "reversal",
                    func.coalesce(JournalEntry.detail_kind, "").in_(CREDIT_KINDS)))


def _grouped(session, where, account_ids):
    """(account, service, target month, is credit, amount) of the entries matching ``where``,
    summed — for every account or per chunk of ``account_ids``."""
    je = JournalEntry
    side = case((_credit_side(), 1), else_=0)
    base = (select(je.account_id, je.service_id, je.target_period, side.label("credit"), func.sum(je.amount))
            .where(*where).group_by(je.account_id, je.service_id, je.target_period, side))
    if account_ids is None:
        yield from session.execute(base.execution_options(yield_per=20000))
    else:
        for part in _chunks(account_ids):
            yield from session.execute(base.where(je.account_id.in_(part)))


def _changes(session, where, account_ids) -> dict:
    """{(account, service): ({month: net of non-credits}, credits)} of the entries matching ``where``."""
    found: dict = {}
    for account_id, service_id, month, credit, amount in _grouped(session, where, account_ids):
        months, credits = found.setdefault((account_id, service_id), ({}, [ZERO]))
        if credit:
            credits[0] += money(amount)
        else:
            months[month] = months.get(month, ZERO) + money(amount)
    return found


def _posted(upto: str | None, after: str | None = None):
    je = JournalEntry
    return ([je.posting_period <= upto] if upto else []) + ([je.posting_period > after] if after else [])


def _from_journal(session, account_ids, upto: str | None) -> dict:
    return {pair: fifo_state(months, credits[0])
            for pair, (months, credits) in _changes(session, _posted(upto), account_ids).items()}


def _stored(session, period: str, account_ids) -> dict:
    from ...models import DebtAge

    result: dict = {}
    base = select(DebtAge.account_id, DebtAge.service_id, DebtAge.month, DebtAge.net, DebtAge.unpaid).where(
        DebtAge.period == period)
    statements = ([base] if account_ids is None
                  else [base.where(DebtAge.account_id.in_(part)) for part in _chunks(account_ids)])
    for stmt in statements:
        for account_id, service_id, month, net, unpaid in session.execute(stmt):
            state = result.setdefault((account_id, service_id), PairState())
            if month is None:
                state.surplus = money(unpaid)
            else:
                state.months[month] = [money(net), money(unpaid)]
    return result


def _base_period(session, upto: str | None) -> str | None:
    from ...models import DebtAgePeriod

    stmt = select(func.max(DebtAgePeriod.period))
    if upto:
        stmt = stmt.where(DebtAgePeriod.period <= upto)
    return session.scalar(stmt)


@dataclass
class States:
    """:func:`states`' answer: ``pairs`` {(account, service or None): :class:`PairState`} (a pair
    with nothing unpaid and no surplus may be left out), ``recomputed`` the accounts computed from
    their whole journal."""

    pairs: dict
    recomputed: set


def states(session, period: str | None = None, account_ids=None) -> States:
    """The FIFO state of every pair (or of ``account_ids``' pairs) at the end of the closed
    ``period`` — or now, with every entry posted so far (``period`` None): the latest stored
    state up to it, plus the entries posted since."""
    base = _base_period(session, period)
    if base is None:
        pairs = _from_journal(session, account_ids, period)
        return States(pairs, set(a for a, _ in pairs))
    pairs = _stored(session, base, account_ids)
    redo = set()
    if base != period:
        for pair, (months, credits) in _changes(session, _posted(period, base), account_ids).items():
            stepped = fifo_step(pairs.get(pair, PairState()), months, credits[0], base)
            if stepped is None:
                redo.add(pair[0])
            else:
                pairs[pair] = stepped
    if redo:
        pairs = {pair: state for pair, state in pairs.items() if pair[0] not in redo}
        pairs.update(_from_journal(session, sorted(redo), period))
    return States(pairs, redo)


def store_debt_ages(session, period: str) -> int:
    """At the close of ``period`` (after its entries are posted): its FIFO state stored, from the
    previous stored one plus the period's entries. Returns the accounts computed from their whole
    journal. Replaces what a period had (``oblik ledger ages`` computes again)."""
    from ...models import DebtAge, DebtAgePeriod
    from ..sql import insert_rows

    session.execute(DebtAge.__table__.delete().where(DebtAge.period == period))
    session.execute(DebtAgePeriod.__table__.delete().where(DebtAgePeriod.period == period))
    found = states(session, period)
    rows = []
    for (account_id, service_id), state in found.pairs.items():
        rows += [(period, account_id, service_id, m, net, unpaid) for m, (net, unpaid) in state.months.items()]
        if state.surplus != 0:
            rows.append((period, account_id, service_id, None, ZERO, state.surplus))
    insert_rows(session, DebtAge.__table__, ("period", "account_id", "service_id", "month", "net", "unpaid"), rows,
                audit=False)
    session.add(DebtAgePeriod(period=period, recomputed=len(found.recomputed)))
    session.flush()
    return len(found.recomputed)


def clear_debt_ages(session) -> None:
    """Forget every stored state (they are computed again from the journal, period by period)."""
    from ...models import DebtAge, DebtAgePeriod

    session.execute(DebtAge.__table__.delete())
    session.execute(DebtAgePeriod.__table__.delete())


# -- the questions ---------------------------------------------------------------------------------

def debts_older_than(session, months: int, day: date, account_ids=None, period: str | None = None) -> list[OldDebt]:
    """Per account and service (not the account-level advance), the debt whose months are older
    than ``months`` months on ``day`` — only where there is some; ordered by account and
    service. The state now (or at the end of ``period``)."""
    cutoff = last_month_older_than(months, day)
    rows = []
    for (account_id, service_id), state in states(session, period, account_ids).pairs.items():
        if service_id is None:
            continue
        owed = {m: u for m, (_, u) in state.months.items() if u > 0}
        old = sum((u for m, u in owed.items() if m <= cutoff), ZERO)
        if old > 0:
            rows.append(OldDebt(account_id, service_id, sum(owed.values(), ZERO), old, min(owed)))
    return sorted(rows, key=lambda r: (r.account_id, r.service_id))


class _Ages(dict):
    """{(account, service): Aging}; a pair with no debt and no advance reads as an empty Aging."""

    def __missing__(self, key):
        return Aging()


def aging(session, day: date, account_ids=None, period: str | None = None) -> dict[tuple, Aging]:
    """{(account, service or None): :class:`Aging`} of every account and service with a debt or
    an advance (or of ``account_ids``), the ages counted on ``day``; the state now (or at the end
    of ``period``)."""
    cutoffs = bucket_cutoffs(day)
    if period is not None and _base_period(session, period) == period:
        return _aging_stored(session, period, cutoffs, account_ids)
    return _aging_of_states(states(session, period, account_ids), cutoffs)


def _aging_of_states(found: States, cutoffs) -> dict[tuple, Aging]:
    result = _Ages()
    for pair, state in found.pairs.items():
        row = Aging(balance=state.balance)
        for month, (_, unpaid) in state.months.items():
            if unpaid <= 0:
                continue
            name = BUCKETS[0]
            for cut, bucket in zip(reversed(cutoffs), reversed(BUCKETS)):
                if month <= cut:
                    name = bucket
                    break
            row.buckets[name] += unpaid
            if row.oldest_unpaid is None or month < row.oldest_unpaid:
                row.oldest_unpaid = month
        if row.balance or row.oldest_unpaid:
            result[pair] = row
    return result


def _aging_stored(session, period: str, cutoffs, account_ids) -> dict[tuple, Aging]:
    """:func:`aging` at the end of a closed period whose state is stored: grouped in the database
    by pair and bucket (the same FIFO figures; a report of 100,000 accounts reads 640,000 pairs,
    not 1.3 million months)."""
    from sqlalchemy import case, type_coerce

    from ...models import DebtAge

    da = DebtAge
    # the oldest bucket whose boundary the month is at or before (BUCKETS[k + 1] for cutoffs[k])
    bucket = case(*[(da.month <= cut, k + 1) for k, cut in reversed(list(enumerate(cutoffs)))], else_=0)
    owed = da.month.is_not(None) & (da.unpaid > 0)
    balance = type_coerce(func.sum(case((da.month.is_(None), -da.unpaid), else_=da.unpaid)), da.unpaid.type)
    unpaid = type_coerce(func.sum(case((owed, da.unpaid), else_=0)), da.unpaid.type)
    oldest = func.min(case((owed, da.month)))
    base = (select(da.account_id, da.service_id, bucket, balance, unpaid, oldest).where(da.period == period)
            .group_by(da.account_id, da.service_id, bucket))
    statements = ([base] if account_ids is None
                  else [base.where(da.account_id.in_(part)) for part in _chunks(account_ids)])
    result = _Ages()
    for stmt in statements:
        for account_id, service_id, index, pair_balance, pair_unpaid, month in session.execute(stmt):
            row = result.get((account_id, service_id))
            if row is None:
                row = result[(account_id, service_id)] = Aging()
            row.balance += money(pair_balance)
            row.buckets[BUCKETS[index]] += money(pair_unpaid)
            if month is not None and (row.oldest_unpaid is None or month < row.oldest_unpaid):
                row.oldest_unpaid = month
    for pair in [pair for pair, row in result.items() if not (row.balance or row.oldest_unpaid)]:
        del result[pair]
    return result


def debt_by_account(session, day: date, account_ids=None, period: str | None = None,
                    service_id: int | None = None) -> dict[int, tuple[dict, str]]:
    """{account: ({bucket: unpaid}, oldest unpaid month)} of every account with an unpaid debt on a
    service (or on ``service_id``), the services' ages added up — the debtors report's question;
    the account-level advance is not in it. A closed period's stored state is grouped by account
    and bucket in the database; otherwise it is :func:`aging`'s pairs added up."""
    cutoffs = bucket_cutoffs(day)
    result: dict[int, tuple[dict, str]] = {}
    if period is not None and _base_period(session, period) == period:
        from sqlalchemy import case, type_coerce

        from ...models import DebtAge

        da = DebtAge
        bucket = case(*[(da.month <= cut, k + 1) for k, cut in reversed(list(enumerate(cutoffs)))], else_=0)
        base = (select(da.account_id, bucket, type_coerce(func.sum(da.unpaid), da.unpaid.type), func.min(da.month))
                .where(da.period == period, da.month.is_not(None), da.unpaid > 0, da.service_id.is_not(None))
                .group_by(da.account_id, bucket))
        if service_id is not None:
            base = base.where(da.service_id == service_id)
        statements = ([base] if account_ids is None
                      else [base.where(da.account_id.in_(part)) for part in _chunks(account_ids)])
        for stmt in statements:
            for account_id, index, unpaid, month in session.execute(stmt):
                found = result.get(account_id)
                if found is None:
                    result[account_id] = (dict.fromkeys(BUCKETS, ZERO), month)
                    found = result[account_id]
                elif month < found[1]:
                    result[account_id] = found = (found[0], month)
                found[0][BUCKETS[index]] += money(unpaid)
        return result
    for (account_id, pair_service), age in aging(session, day, account_ids, period=period).items():
        if pair_service is None or (service_id is not None and pair_service != service_id) or not age.oldest_unpaid:
            continue
        buckets, oldest = result.get(account_id) or (dict.fromkeys(BUCKETS, ZERO), age.oldest_unpaid)
        for name, amount in age.buckets.items():
            buckets[name] += amount
        result[account_id] = (buckets, min(oldest, age.oldest_unpaid))
    return result


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
