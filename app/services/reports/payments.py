"""``payments``: the payments posted in the period (formats.md): external_id, account_number, paid_on,
amount (positive as received), source, import_id — one row per payment, and one per reversal
(Сторнування) posted in the period, with the reversal's date and the amount negative, so that the
total is the journal's net payment total of the period (:func:`app.services.ledger.payments_in`:
the advance offsets of the close, pairs summing to zero, are left out). A payment dated in a
closed period appears where it was posted, with its own date.

Own filter ``group``: ``none`` (a row per payment), ``day``, ``source`` or ``import`` — one row
per value date, source or import file with the number of payments and their sum. The date range
narrows to payments (and reversals) whose date falls in it; without a period, every period from
the range's first month on is read.

The import file: a payment keeps no reference to its import, so the import is the committed
``payments`` import of the same user during which the payment was recorded (its created_at
between the import's start and finish)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from ...billing.periods import period_of
from ...models import Account, Building, ImportRecord, Payment, Period, Premise
from ..sql import parts
from .. import ledger
from . import Column, OwnFilter, Report, ReportKind, filtered_accounts

ZERO = Decimal("0.00")
CODES = ("external_id", "account_number", "paid_on", "amount", "source", "import_id")
GROUPS = (("none", _l("Every payment")), ("day", _l("By day")), ("source", _l("By source")),
          ("import", _l("By import file")))

ROW_COLUMNS = [
    Column("external_id", _l("Payment ID")), Column("account_number", _l("Account")),
    Column("owner_name", _l("Owner"), machine=False, width=30), Column("address", _l("Address"), machine=False, width=36),
    Column("paid_on", _l("Date"), "date"), Column("amount", _l("Amount"), "money", total=True),
    Column("source", _l("Source")), Column("import_id", _l("Import no."), "int"),
    Column("note", _l("Note"), machine=False),
]
COUNT = Column("count", _l("Payments"), "int", total=True, machine=False)


def _group_columns(group):
    """The grouped rows keep the machine columns (the grouping one filled in, the others empty)."""
    return [c for c in ROW_COLUMNS if c.machine] + [COUNT, Column("file_name", _l("File"), machine=False, width=30)] \
        if group == "import" else [c for c in ROW_COLUMNS if c.machine] + [COUNT]




def _periods(session, filters) -> list[str]:
    if filters.period:
        return [filters.period]
    start = period_of(filters.date_from) if filters.date_from else None
    stmt = select(Period.period).order_by(Period.period)
    if start:
        stmt = stmt.where(Period.period >= start)
    return list(session.scalars(stmt))


def _imports(session, payment_ids) -> dict[int, tuple[int, str]]:
    """{payment: (import id, file name)}: the committed payments import that recorded it."""
    found = {}
    for part in parts(sorted(payment_ids)):
        stmt = (select(Payment.id, func.max(ImportRecord.id))
                .join(ImportRecord, and_(ImportRecord.kind == "payments", ImportRecord.status == "committed",
                                         ImportRecord.dry_run.is_(False), ImportRecord.username == Payment.created_by,
                                         ImportRecord.created_at <= Payment.created_at,
                                         ImportRecord.finished_at >= Payment.created_at))
                .where(Payment.id.in_(part)).group_by(Payment.id))
        found.update(dict(session.execute(stmt).all()))
    names = {}
    for part in parts(sorted(set(found.values()))):
        names.update(dict(session.execute(select(ImportRecord.id, ImportRecord.file_name)
                                          .where(ImportRecord.id.in_(part))).all()))
    return {payment: (record, names.get(record, "")) for payment, record in found.items()}


def payment_rows(session, filters) -> list[dict]:
    """Every payment and reversal of the report, as dicts (the rows before grouping), in order of
    date, account and payment."""
    account_ids = filtered_accounts(session, filters)
    if account_ids is not None and not account_ids:
        return []
    moves = []  # (account, value date, amount positive as received, payment id, reversal)
    for period in _periods(session, filters):
        for account_id, lines in ledger.payments_in(session, account_ids, period).items():
            moves.extend((account_id, *line) for line in lines)
    if filters.date_from is not None:
        moves = [m for m in moves if m[1] >= filters.date_from]
    if filters.date_to is not None:
        moves = [m for m in moves if m[1] <= filters.date_to]
    payment_ids = {m[3] for m in moves if m[3] is not None}
    facts = {}
    for part in parts(sorted(payment_ids)):
        for row in session.execute(select(Payment.id, Payment.external_id, Payment.paid_on, Payment.source)
                                   .where(Payment.id.in_(part))):
            facts[row.id] = row
    imports = _imports(session, payment_ids)
    people = {}
    for part in parts(sorted({m[0] for m in moves})):
        for row in session.execute(
                select(Account.id, Account.account_number, Account.owner_name, Building.address, Premise.number)
                .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id)
                .where(Account.id.in_(part))):
            people[row.id] = row
    source = (filters.extra.get("source") or "").strip().casefold()
    rows = []
    for account_id, value_date, amount, payment_id, reversal in moves:
        fact = facts.get(payment_id)
        if source and (fact is None or (fact.source or "").casefold() != source):
            continue
        person = people.get(account_id)
        record, file_name = imports.get(payment_id, (None, ""))
        rows.append(dict(
            external_id=fact.external_id if fact else None,
            account_number=person.account_number if person else str(account_id),
            owner_name=person.owner_name if person else "",
            address=f"{person.address}, {_l('fl.')} {person.number}" if person else "",
            # a payment with its own date (also when it lies in a closed period); a reversal with its day
            paid_on=value_date if reversal or fact is None else fact.paid_on,
            amount=amount, source=fact.source if fact else None, import_id=record, file_name=file_name,
            note=str(_l("Reversal")) if reversal else "", reversal=reversal))
    rows.sort(key=lambda r: (r["paid_on"] or date.min, r["account_number"], r["external_id"] or "", r["reversal"]))
    return rows


def payments_report(session, filters) -> Report:
    group = filters.extra.get("group") or "none"
    rows = payment_rows(session, filters)
    period = filters.period or (period_of(filters.date_from) if filters.date_from else "")
    title = str(_l("Payments"))
    if group == "none":
        columns = ROW_COLUMNS
        data = [tuple(r[c.code] for c in columns) for r in rows]
    else:
        columns = _group_columns(group)
        key = {"day": "paid_on", "source": "source", "import": "import_id"}[group]
        sums, counts, names = defaultdict(lambda: ZERO), defaultdict(int), {}
        for r in rows:
            sums[r[key]] += r["amount"]
            counts[r[key]] += -1 if r["reversal"] else 1  # a reversal takes its payment back
            names[r[key]] = r["file_name"]
        data = []
        for value in sorted(sums, key=lambda v: (v is None, v if v is not None else "")):
            row = dict.fromkeys(CODES)
            row.update({key: value, "amount": sums[value], "count": counts[value], "file_name": names[value]})
            data.append(tuple(row.get(c.code) for c in columns))
    return Report("payments", title, period, columns, data)


KINDS = [ReportKind(
    "payments", _l("Payments"), payments_report, codes=CODES,
    filters=("period", "date_range", "building", "account"),
    own_filters=(OwnFilter("group", _l("Group"), "choice", GROUPS, "none"),
                 OwnFilter("source", _l("Source"), "text")),
)]
__all__ = ["payments_report", "payment_rows", "KINDS"]
