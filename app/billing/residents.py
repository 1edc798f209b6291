"""Residents counted in a premise (billing.md §3).

On a day, a resident counts when a ``registered`` or ``temporary`` registration of theirs
in the premise covers the day and no ``absent`` registration (documented absence,
постанова КМУ № 1405) of theirs in that premise covers it. A resident with two
overlapping registrations counts once.

* ``persons`` lines use :meth:`Residents.counted` — no minimum: an empty flat pays for
  nobody.
* Norm volumes use :meth:`Residents.for_norm`: a premise with accounts but nobody counted
  counts ``min_persons_for_norm`` (default 1) persons.
* Benefits use :meth:`Residents.for_benefit`: R counted on the last day of the month, at
  least 1.
* The ``persons`` key of the water imbalance uses :meth:`Residents.person_days` (residents
  counted per day summed over the month — the month's average × D), without a minimum.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable

from .data import Registration
from .periods import covers, days_of, last_day


class Residents:
    def __init__(self, registrations: Iterable[Registration]):
        self._by_premise: dict[int, list[Registration]] = defaultdict(list)
        for registration in registrations:
            self._by_premise[registration.premise_id].append(registration)

    def registrations(self, premise_id: int) -> list[Registration]:
        return self._by_premise.get(premise_id, [])

    def counted(self, premise_id: int, day: date) -> int:
        present, absent = set(), set()
        for reg in self._by_premise.get(premise_id, ()):
            if covers(reg.date_from, reg.date_to, day):
                (absent if reg.kind == "absent" else present).add(reg.resident_id)
        return len(present - absent)

    def for_norm(self, premise_id: int, day: date, min_persons: int) -> int:
        return self.counted(premise_id, day) or min_persons

    def for_benefit(self, premise_id: int, period: str) -> int:
        return max(1, self.counted(premise_id, last_day(period)))

    def person_days(self, premise_id: int, period: str) -> int:
        return sum(self.counted(premise_id, day) for day in days_of(period))
