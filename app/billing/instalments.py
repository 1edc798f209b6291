"""Реструктуризація боргу: an agreement's schedule of monthly instalments and the payments
matched to it — plain functions (the service :mod:`app.services.restructuring` stores them).

* :func:`schedule` — the debt split into monthly instalments, by their **count** (kopiyky by
  the largest remainder: the first instalments take the odd kopiyky, the sum is exact) or by
  the **amount** of one (the last takes what is left); the first due on ``first_due``, the next
  on the same day of each following month (the month's last day when it is shorter).
* :func:`remaining` — the restructured debt still unpaid at the end of a day. A payment pays
  the account's charges made after the agreement's debt date first (the current bills); only
  the rest goes to the agreement.
* :func:`match` — the payments to the agreement matched to its instalments in order (FIFO):
  paid, partly paid, missed (due before the day and not paid in full), or upcoming.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import largest_remainder, round_money
from .periods import days_in

ZERO = Decimal("0.00")
MAX_INSTALMENTS = 120


@dataclass(frozen=True)
class Instalment:
    seq: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class Matched:
    seq: int
    due_date: date
    amount: Decimal
    paid: Decimal
    status: str          # paid | partly | missed | upcoming

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    period = f"{year:04d}-{month + 1:02d}"
    return date(year, month + 1, min(day.day, days_in(period)))


def schedule(amount: Decimal, first_due: date, *, count: int | None = None,
             per: Decimal | None = None) -> list[Instalment]:
    """The instalments of ``amount`` (> 0): ``count`` of them, or of ``per`` each."""
    amount = round_money(amount)
    if amount <= 0:
        raise ValueError("the amount must be positive")
    if count is not None:
        if not 1 <= count <= MAX_INSTALMENTS:
            raise ValueError(f"the number of instalments must be 1…{MAX_INSTALMENTS}")
        shares = largest_remainder(amount, [1] * count, 2)
    elif per is not None:
        per = round_money(per)
        if per <= 0:
            raise ValueError("the instalment must be positive")
        full, rest = divmod(amount, per)
        shares = [per] * int(full) + ([rest] if rest else [])
        if len(shares) > MAX_INSTALMENTS:
            raise ValueError(f"more than {MAX_INSTALMENTS} instalments")
    else:
        raise ValueError("give the number of instalments or the amount of one")
    return [Instalment(i + 1, add_months(first_due, i), share) for i, share in enumerate(shares)]


def remaining(amount: Decimal, opening: Decimal, moves, day: date) -> Decimal:
    """The agreement's debt unpaid at the end of ``day``; ``moves``: (value date, charged, other)
    of the account's journal after the debt date (:func:`app.services.ledger.agreement_moves`),
    walked in date order: a charge adds to the new debt, a payment (other < 0) pays the new debt
    first and the agreement with the rest; a reversal (other > 0) takes back from the agreement."""
    new_debt = ZERO
    to_agreement = ZERO
    for moved_on, charged, other in sorted(moves):
        if moved_on > day:
            break
        new_debt = max(new_debt + charged, ZERO)
        if other < 0:
            paid = -other
            to_new = min(paid, new_debt)
            new_debt -= to_new
            to_agreement += paid - to_new
        elif other > 0:
            back = min(other, to_agreement)
            to_agreement -= back
            new_debt += other - back
    start = min(amount, max(opening, ZERO))
    return max(start - to_agreement, ZERO)


def match(instalments, paid: Decimal, day: date) -> list[Matched]:
    """``paid`` (to the agreement, by the end of ``day``) matched to ``instalments`` in order."""
    result = []
    left = max(paid, ZERO)
    for i in sorted(instalments, key=lambda i: i.seq):
        covered = min(i.amount, left)
        left -= covered
        if covered == i.amount:
            status = "paid"
        elif i.due_date < day:
            status = "missed"
        elif covered > 0:
            status = "partly"
        else:
            status = "upcoming"
        result.append(Matched(i.seq, i.due_date, i.amount, covered, status))
    return result
