"""Numbers of documents (issue 10): per kind and year, «ВС-2026-0007» — the kind's prefix, the
year of the document's date, the next number of that kind and year.

:func:`next_number` takes the number inside the caller's transaction under a row lock (the
counter's row is updated first, so a second transaction waits for the first to commit or
roll back): two users saving at once get consecutive numbers, and a save rolled back gives
its number back. The counter row of a new kind or year is created on first use.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...models import DocumentCounter

# kind → the prefix of its numbers (Ukrainian abbreviations an accountant reads)
PREFIXES = {
    "claim_act": "АП",   # акт-претензія
    "outage": "АВ",      # акт про відсутність послуги на вузлі мережі
    "write_off": "ВС",   # відомість списання
    "restructuring": "ДР",  # договір реструктуризації
    "receipt": "КВ",     # квитанція: a payment taken at the desk
}


def format_number(kind: str, year: int, number: int) -> str:
    return f"{PREFIXES.get(kind, kind.upper())}-{year}-{number:04d}"


def next_number(session, kind: str, year: int) -> str:
    """The next number of ``kind`` in ``year``, taken in the session's transaction."""
    for _attempt in range(3):
        done = session.execute(update(DocumentCounter)
                               .where(DocumentCounter.kind == kind, DocumentCounter.year == year)
                               .values(last=DocumentCounter.last + 1))
        if done.rowcount:
            last = session.scalar(select(DocumentCounter.last)
                                  .where(DocumentCounter.kind == kind, DocumentCounter.year == year))
            return format_number(kind, year, last)
        try:
            with session.begin_nested():
                session.add(DocumentCounter(kind=kind, year=year, last=1))
            return format_number(kind, year, 1)
        except IntegrityError:  # another transaction created the row first: take the next
            continue
    raise RuntimeError(f"no number for {kind} {year}")
