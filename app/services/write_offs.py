"""Відомості списання (billing.md §11): the life of a write-off statement.

* **Draft**: formed from the candidates (:func:`form_from_candidates`: the debts older than the
  limitation period, ``write_off.limitation_months``, found by FIFO — ``ledger.debts_older_than``) or
  started empty (:func:`start`; reason ``deceased`` or ``other`` needs a note) and filled by hand
  (:func:`add_line`). Lines are edited and removed in a draft only; every amount is > 0 and never
  more than the account's debt on that service (the journal's balance, ``ledger.balances``),
  checked on save with a message naming the row.
* **Approved** (:func:`approve`, accountants): the amounts checked again against the debts of
  that moment, ``write_off`` credits posted in the open period (``ledger.post_write_off``),
  document = the statement's number. The statement's row is locked (``FOR UPDATE``) and the
  posting is marked in ``write_off_posting`` whose primary key refuses a second mark: two
  approvals at once post once, the second is told the statement is approved.
* **Cancelled** (:func:`cancel`, accountants): ``reversal`` entries of its write-offs in the open
  period, with who and why; the statement and its lines stay. A cancelled draft posts nothing.

An approved or cancelled statement is never edited or deleted. No function here commits but
:func:`approve` and :func:`cancel`, which are whole transactions.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..billing.money import parse_decimal, round_money
from ..billing.settings import DEFAULTS, LIMITATION_KEY, Settings
from ..billing import data as rec
from ..models import Account, Service, Setting, WriteOff, WriteOffLine, WriteOffPosting
from ..models.write_offs import WRITE_OFF_REASONS
from ..validation.readings import utcnow
from . import ledger
from .documents.numbering import next_number
from .documents.pdf import money_text
from .sql import insert_rows

DRAFT, APPROVED, CANCELLED = "draft", "approved", "cancelled"
MAX_NOTE = 500


class WriteOffRefused(ValueError):
    """The statement cannot be changed that way (message for the user, in Ukrainian)."""


# -- settings --------------------------------------------------------------------------------

def limitation_months(session, day: date) -> int:
    """The limitation period in months on ``day`` (dated setting, default 36 — ЦК ст. 257)."""
    entries = [rec.Setting(key, valid_from, parse_decimal(value)) for key, valid_from, value in session.execute(
        select(Setting.key, Setting.valid_from, Setting.value).where(Setting.key == LIMITATION_KEY))]
    try:
        months = int(Settings(entries).get(LIMITATION_KEY, day))
    except (KeyError, ValueError):
        months = int(DEFAULTS[LIMITATION_KEY])
    return max(months, 1)


# -- reading ---------------------------------------------------------------------------------

def get(session, write_off_id: int, *, lock: bool = False) -> WriteOff | None:
    stmt = select(WriteOff).where(WriteOff.id == write_off_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def totals(session, write_off_id: int) -> tuple[int, Decimal]:
    """(lines, total amount) of a statement."""
    count, total = session.execute(select(func.count(WriteOffLine.id), func.sum(WriteOffLine.amount))
                                   .where(WriteOffLine.write_off_id == write_off_id)).one()
    return count or 0, ledger.books.money(total)


def lines_page(session, write_off_id: int, page: int = 0, size: int = 50) -> list:
    """One page of a statement's lines with the account's number, owner and the service."""
    return session.execute(
        select(WriteOffLine.id, WriteOffLine.account_id, Account.account_number, Account.owner_name,
               WriteOffLine.service_id, Service.name.label("service"), WriteOffLine.amount, WriteOffLine.debt,
               WriteOffLine.oldest_unpaid, WriteOffLine.note)
        .join(Account, Account.id == WriteOffLine.account_id).join(Service, Service.id == WriteOffLine.service_id)
        .where(WriteOffLine.write_off_id == write_off_id)
        .order_by(Account.account_number, Service.name, WriteOffLine.id)
        .offset(page * size).limit(size)).all()


def list_query(*, status: str | None = None, reason: str | None = None, year: int | None = None):
    """The statements, newest first, with their line count and total (one query)."""
    count = (select(func.count(WriteOffLine.id)).where(WriteOffLine.write_off_id == WriteOff.id)
             .correlate(WriteOff).scalar_subquery())
    total = (select(func.sum(WriteOffLine.amount)).where(WriteOffLine.write_off_id == WriteOff.id)
             .correlate(WriteOff).scalar_subquery())
    stmt = select(WriteOff, count.label("lines"), total.label("total"))
    if status:
        stmt = stmt.where(WriteOff.status == status)
    if reason:
        stmt = stmt.where(WriteOff.reason == reason)
    if year:
        stmt = stmt.where(WriteOff.doc_date >= date(year, 1, 1), WriteOff.doc_date <= date(year, 12, 31))
    return stmt.order_by(WriteOff.doc_date.desc(), WriteOff.id.desc())


# -- checks ----------------------------------------------------------------------------------

def _draft(wo: WriteOff) -> None:
    if wo.status != DRAFT:
        raise WriteOffRefused(_("Statement %(number)s is %(status)s: only a draft can be changed.",
                                number=wo.number, status=_status_label(wo.status)))


def _status_label(status: str) -> str:
    from ..models.write_offs import WRITE_OFF_STATUSES

    return str(WRITE_OFF_STATUSES.label(status))


def _note(text) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise WriteOffRefused(_("The note is too long (%(max)s characters at most)", max=MAX_NOTE))
    return text or None


def _amount(value, row: str) -> Decimal:
    if isinstance(value, str):
        try:
            value = parse_decimal(value)
        except (ValueError, ArithmeticError):
            raise WriteOffRefused(_("%(row)s: the amount «%(value)s» is not a number", row=row, value=value)) from None
    if value is None:
        raise WriteOffRefused(_("%(row)s: enter the amount", row=row))
    amount = Decimal(value)
    if not amount.is_finite() or round_money(amount) != amount:
        raise WriteOffRefused(_("%(row)s: the amount must be in hryvnias and kopiyky (two decimals at most)", row=row))
    if amount <= 0:
        raise WriteOffRefused(_("%(row)s: the amount must be greater than zero", row=row))
    if amount >= Decimal("1e12"):
        raise WriteOffRefused(_("%(row)s: the amount is too large", row=row))
    return amount


def _row_name(session, account_id: int, service_id: int, position: int | None = None) -> str:
    number = session.scalar(select(Account.account_number).where(Account.id == account_id)) or account_id
    service = session.scalar(select(Service.name).where(Service.id == service_id)) or service_id
    if position is None:
        return _("Account %(account)s, %(service)s", account=number, service=service)
    return _("Row %(row)s (account %(account)s, %(service)s)", row=position, account=number, service=service)


def debt(session, account_id: int, service_id: int) -> Decimal:
    """The account's debt on the service now (the journal's balance; 0 when it has none)."""
    book = ledger.balances(session, [account_id]).get(account_id, {})
    return max(book.get(service_id, Decimal("0.00")), Decimal("0.00"))


def _check_debt(amount: Decimal, owed: Decimal, row: str) -> None:
    if owed <= 0:
        raise WriteOffRefused(_("%(row)s: the account has no debt on this service", row=row))
    if amount > owed:
        raise WriteOffRefused(_("%(row)s: the amount %(amount)s is more than the debt %(debt)s", row=row,
                                amount=money_text(amount), debt=money_text(owed)))


# -- drafting --------------------------------------------------------------------------------

def start(session, *, doc_date: date, reason: str, note: str | None, user: str | None) -> WriteOff:
    """A new empty draft (filled by hand). ``deceased`` and ``other`` need a note (the death
    certificate, the decision…)."""
    if reason not in WRITE_OFF_REASONS.codes:
        raise WriteOffRefused(_("Choose the reason of the write-off"))
    if not isinstance(doc_date, date):
        raise WriteOffRefused(_("Enter the date of the statement"))
    note = _note(note)
    if reason in ("deceased", "other") and not note:
        raise WriteOffRefused(_("Reason «%(reason)s»: write in the note what the write-off is based on",
                                reason=WRITE_OFF_REASONS.label(reason)))
    wo = WriteOff(number=next_number(session, "write_off", doc_date.year), doc_date=doc_date, reason=reason,
                  note=note, status=DRAFT, created_by=user)
    session.add(wo)
    session.flush()
    return wo


def candidates(session, day: date, months: int | None = None, account_ids=None) -> list:
    """The write-off candidates on ``day``: ``ledger.debts_older_than`` with the limitation period."""
    months = months or limitation_months(session, day)
    return ledger.debts_older_than(session, months, day, account_ids)


def form_from_candidates(session, *, doc_date: date, user: str | None, as_of: date | None = None,
                         note: str | None = None) -> WriteOff:
    """A draft of reason ``limitation`` with a line per candidate (the part of the debt older
    than the limit), written in bulk. Refused when there is none."""
    as_of = as_of or doc_date
    months = limitation_months(session, as_of)
    found = candidates(session, as_of, months)
    if not found:
        raise WriteOffRefused(_("No debt is older than %(months)s months on %(day)s: nothing to write off.",
                                months=months, day=as_of.strftime("%d.%m.%Y")))
    wo = start(session, doc_date=doc_date, reason="limitation", note=note, user=user)
    wo.limitation_months, wo.as_of = months, as_of
    session.flush()
    columns = ("write_off_id", "account_id", "service_id", "amount", "debt", "oldest_unpaid", "note")
    insert_rows(session, WriteOffLine.__table__, columns,
                [(wo.id, c.account_id, c.service_id, c.amount, c.debt, c.oldest_unpaid, None) for c in found])
    session.expire(wo, ["lines"])
    return wo


def add_line(session, wo: WriteOff, account_id, service_id, amount, note: str | None = None) -> WriteOffLine:
    """A line added by hand to a draft: the debt and the oldest unpaid month are found now."""
    _draft(wo)
    if not account_id or session.get(Account, account_id) is None:
        raise WriteOffRefused(_("Choose the personal account"))
    if not service_id or session.get(Service, service_id) is None:
        raise WriteOffRefused(_("Choose the service"))
    row = _row_name(session, account_id, service_id)
    amount = _amount(amount, row)
    if session.scalar(select(WriteOffLine.id).where(WriteOffLine.write_off_id == wo.id,
                                                    WriteOffLine.account_id == account_id,
                                                    WriteOffLine.service_id == service_id)):
        raise WriteOffRefused(_("%(row)s: already in the statement — edit its line", row=row))
    owed = debt(session, account_id, service_id)
    _check_debt(amount, owed, row)
    found = ledger.aging(session, wo.as_of or wo.doc_date, [account_id]).get((account_id, service_id))
    line = WriteOffLine(write_off_id=wo.id, account_id=account_id, service_id=service_id, amount=amount, debt=owed,
                        oldest_unpaid=found.oldest_unpaid if found else None, note=_note(note))
    session.add(line)
    session.flush()
    return line


def _line(session, wo: WriteOff, line_id: int) -> WriteOffLine:
    line = session.get(WriteOffLine, line_id)
    if line is None or line.write_off_id != wo.id:
        raise WriteOffRefused(_("No such line in statement %(number)s", number=wo.number))
    return line


def _position(session, line: WriteOffLine) -> int:
    """The line's row number as the card shows it (ordered by account number and service)."""
    number = session.scalar(select(Account.account_number).where(Account.id == line.account_id))
    service = session.scalar(select(Service.name).where(Service.id == line.service_id))
    earlier = session.scalar(
        select(func.count(WriteOffLine.id)).join(Account, Account.id == WriteOffLine.account_id)
        .join(Service, Service.id == WriteOffLine.service_id)
        .where(WriteOffLine.write_off_id == line.write_off_id,
               (Account.account_number < number)
               | ((Account.account_number == number) & (Service.name < service))
               | ((Account.account_number == number) & (Service.name == service) & (WriteOffLine.id < line.id))))
    return (earlier or 0) + 1


def edit_line(session, wo: WriteOff, line_id: int, amount, note: str | None = None) -> WriteOffLine:
    """A draft's line with a new amount (checked against the debt now) and note."""
    _draft(wo)
    line = _line(session, wo, line_id)
    row = _row_name(session, line.account_id, line.service_id, _position(session, line))
    amount = _amount(amount, row)
    owed = debt(session, line.account_id, line.service_id)
    _check_debt(amount, owed, row)
    line.amount, line.debt, line.note = amount, owed, _note(note)
    session.flush()
    return line


def remove_line(session, wo: WriteOff, line_id: int) -> None:
    _draft(wo)
    session.delete(_line(session, wo, line_id))
    session.flush()


def edit_header(session, wo: WriteOff, *, doc_date: date, reason: str, note: str | None) -> None:
    """The draft's date, reason and note (the number stays)."""
    _draft(wo)
    if reason not in WRITE_OFF_REASONS.codes:
        raise WriteOffRefused(_("Choose the reason of the write-off"))
    note = _note(note)
    if reason in ("deceased", "other") and not note:
        raise WriteOffRefused(_("Reason «%(reason)s»: write in the note what the write-off is based on",
                                reason=WRITE_OFF_REASONS.label(reason)))
    wo.doc_date, wo.reason, wo.note = doc_date, reason, note
    session.flush()


def delete_draft(session, wo: WriteOff) -> None:
    if wo.status != DRAFT:
        raise WriteOffRefused(_("Statement %(number)s is %(status)s: it is never deleted — cancel it instead.",
                                number=wo.number, status=_status_label(wo.status)))
    session.delete(wo)
    session.flush()


# -- approval and cancellation ---------------------------------------------------------------

def _over_debt(session, lines) -> list[str]:
    """The rows whose amount is more than the debt now (names, at most 10), in the card's order."""
    books = ledger.balances(session, [line.account_id for line in lines])
    wrong = []
    for position, line in enumerate(lines, 1):
        owed = max(books.get(line.account_id, {}).get(line.service_id, Decimal("0.00")), Decimal("0.00"))
        if line.amount > owed:
            wrong.append(_("%(row)s: the amount %(amount)s is more than the debt %(debt)s",
                           row=_("Row %(row)s (account %(account)s, %(service)s)", row=position,
                                 account=line.account_number, service=line.service),
                           amount=money_text(line.amount), debt=money_text(owed)))
    return wrong


def _all_lines(session, write_off_id: int) -> list:
    return session.execute(
        select(WriteOffLine.account_id, WriteOffLine.service_id, WriteOffLine.amount, Account.account_number,
               Service.name.label("service"))
        .join(Account, Account.id == WriteOffLine.account_id).join(Service, Service.id == WriteOffLine.service_id)
        .where(WriteOffLine.write_off_id == write_off_id)
        .order_by(Account.account_number, Service.name, WriteOffLine.id)).all()


def _mark(session, write_off_id: int, action: str, period: str, entries: int, user: str | None) -> None:
    try:
        with session.begin_nested():
            session.add(WriteOffPosting(write_off_id=write_off_id, action=action, period=period, entries=entries,
                                        posted_by=user))
    except IntegrityError:
        raise WriteOffRefused(_("The statement has already been posted")) from None


@contextmanager
def _posting(session, already: str):
    """One transaction of an approval or a cancellation: committed when the block ends, rolled back
    and told as :class:`WriteOffRefused` when it is refused — no open period, or ``already`` when a
    concurrent one marked the statement first (the posting's key is the rule; the row lock makes
    it rare)."""
    try:
        yield
        session.commit()
    except WriteOffRefused:
        session.rollback()
        raise
    except ledger.LedgerError as refused:  # no period is open
        session.rollback()
        raise WriteOffRefused(str(refused)) from None
    except IntegrityError:
        session.rollback()
        raise WriteOffRefused(already) from None


def approve(session, write_off_id: int, user: str | None) -> int:
    """Approve a draft: check every amount against the debt now, post the ``write_off`` credits,
    mark the posting. One transaction (commits, or rolls back and raises
    :class:`WriteOffRefused`). Returns the number of journal entries."""
    with _posting(session, _("The statement has already been posted")):
        period = ledger.lock_open_period(session)
        wo = get(session, write_off_id, lock=True)
        if wo is None:
            raise WriteOffRefused(_("No such write-off statement"))
        if wo.status == APPROVED:
            raise WriteOffRefused(_("Statement %(number)s is already approved", number=wo.number))
        _draft(wo)
        lines = _all_lines(session, wo.id)
        if not lines:
            raise WriteOffRefused(_("Statement %(number)s has no lines: nothing to approve", number=wo.number))
        wrong = _over_debt(session, lines)
        if wrong:
            more = len(wrong) - 10
            text = "; ".join(wrong[:10]) + (" " + _("and %(n)s more", n=more) if more > 0 else "")
            raise WriteOffRefused(_("Statement %(number)s is not approved: %(rows)s", number=wo.number, rows=text))
        _mark(session, wo.id, "approve", period, len(lines), user)
        entries = ledger.post_write_off(session, wo.number,
                                        [(line.account_id, line.service_id, line.amount) for line in lines], user)
        wo.status, wo.approved_by, wo.approved_at = APPROVED, user, utcnow()
    return entries


def cancel(session, write_off_id: int, reason: str, user: str | None) -> int:
    """Cancel a statement (with the reason): an approved one gets ``reversal`` entries of its
    write-offs in the open period; a draft is only marked. Commits. Returns the entries."""
    with _posting(session, _("The statement has already been cancelled")):
        reason = (reason or "").strip()
        if not reason:
            raise WriteOffRefused(_("Give the reason of the cancellation"))
        if len(reason) > MAX_NOTE:
            raise WriteOffRefused(_("The reason is too long (%(max)s characters at most)", max=MAX_NOTE))
        period = ledger.lock_open_period(session)
        wo = get(session, write_off_id, lock=True)
        if wo is None:
            raise WriteOffRefused(_("No such write-off statement"))
        if wo.status == CANCELLED:
            raise WriteOffRefused(_("Statement %(number)s is already cancelled", number=wo.number))
        entries = 0
        if wo.status == APPROVED:
            entries = ledger.reverse_write_off(session, wo.number, user)
            _mark(session, wo.id, "cancel", period, entries, user)
        wo.status, wo.cancelled_by, wo.cancelled_at, wo.cancel_reason = CANCELLED, user, utcnow(), reason
    return entries
