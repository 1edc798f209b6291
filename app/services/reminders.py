"""Нагадування про показники (issue 9 §4): who is reminded, what the e-mail says, the personal
link and the public page behind it.

* :func:`due_accounts` — the accounts to remind for a month, for the whole town in one query:
  open in the month, with a metered service (``method = 'metered'``) active in it, an e-mail
  address, and a meter of that service's resource in their premise with no reading dated in
  the month (an estimate is no reading). At most once a month: the outbox keeps one message
  per (``reminder``, account, month).
* :func:`send` — queue those accounts in the outbox and start the sending (the command line and
  the beat task); the composer registered for ``reminder`` (:func:`compose`) builds the messages
  of a batch in a few queries, from the templates of :mod:`app.services.mail.templates`.
* :func:`link_token` / :func:`read_link` — the personal link: signed with the app's
  ``SECRET_KEY`` (its own salt) for one account and month, valid until the month's end in Kyiv.
* :func:`page` / :func:`submit` — the public page: only that account's address and meters; the
  readings checked by the same rules as the form, the API and the import
  (:func:`app.validation.validate`), stored with the source ``online``; a second submission of a
  meter in the month replaces the first online one.
* :func:`throttle` — requests counted per link and per address in the database (every worker
  shares the count).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select

from ..billing.money import from_db
from ..billing.periods import first_day, last_day, next_period, parse_period, period_of
from ..validation.readings import PROVIDER_TIMEZONE, _fmt

KIND = "reminder"
SALT = "oblik-reading-link"
ONLINE = "online"
ESTIMATE = "estimate"
LINK_PATH = "/readings/online/"


# --- months in Kyiv ------------------------------------------------------------------------
def _zone() -> ZoneInfo:
    from flask import current_app, has_app_context

    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or PROVIDER_TIMEZONE)


def local_now(now: datetime | None = None) -> datetime:
    """Now in Kyiv (``now``: an aware datetime, for the tests)."""
    return (now or datetime.now(tz=_zone())).astimezone(_zone())


def current_period(now: datetime | None = None) -> str:
    return period_of(local_now(now).date())


def expires_at(period: str) -> datetime:
    """The link's end: the first moment of the next month in Kyiv."""
    return datetime.combine(first_day(next_period(period)), datetime.min.time(), tzinfo=_zone())


def month_name(period: str, lang: str = "uk") -> str:
    from babel.dates import format_date

    return format_date(first_day(period), "LLLL y", locale=lang)


# --- the personal link ---------------------------------------------------------------------
class LinkRefused(Exception):
    """A link that does nothing: tampered, expired, or used for another account's meter."""

    def __init__(self, message: str, code: int = 403):
        super().__init__(message)
        self.message, self.code = message, code


def _serializer():
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_token(account_id: int, period: str) -> str:
    return _serializer().dumps({"a": int(account_id), "p": period})


def link_url(account_id: int, period: str) -> str:
    return public_url() + LINK_PATH + link_token(account_id, period)


def public_url() -> str:
    """Where residents reach Oblik (``PUBLIC_URL`` / ``OBLIK_PUBLIC_URL``), without the final «/»."""
    from flask import current_app, has_app_context

    configured = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    return (configured or os.environ.get("OBLIK_PUBLIC_URL") or "http://localhost:5000").rstrip("/")


def read_link(token: str, now: datetime | None = None) -> tuple[int, str]:
    """(account id, month) of a valid link; :class:`LinkRefused` for anything else."""
    from itsdangerous import BadSignature

    try:
        data = _serializer().loads(token)
        account_id, period = int(data["a"]), str(data["p"])
        parse_period(period)
    except (BadSignature, ValueError, TypeError, KeyError):
        raise LinkRefused(_("This link is not valid: it may have been copied incompletely. "
                            "Use the link from the latest e-mail or contact the provider."), 404) from None
    if local_now(now) >= expires_at(period):
        raise LinkRefused(_("This link has expired: it was valid until the end of %(month)s. "
                            "A new link comes with the next reminder.", month=month_name(period)), 410)
    if period > current_period(now):
        raise LinkRefused(_("This link is not valid yet."), 404)
    return account_id, period


def link_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:40]


# --- the accounts and their meters ---------------------------------------------------------
def _metered_services(period: str):
    """(account_id, resource) of the metered services active in the month (a subquery)."""
    from ..models import AccountService, Service

    first, last = first_day(period), last_day(period)
    return (select(AccountService.account_id, Service.resource)
            .join(Service, Service.id == AccountService.service_id)
            .where(Service.method == "metered", Service.resource.is_not(None),
                   AccountService.date_from <= last,
                   or_(AccountService.date_to.is_(None), AccountService.date_to >= first)))


def _account_meters(period: str):
    """(account_id, meter_id) of every open account and each active meter of its premise whose
    resource is one of the account's metered services in the month."""
    from ..models import Account, Meter, MeterType

    first, last = first_day(period), last_day(period)
    services = _metered_services(period).subquery()
    return (select(Account.id.label("account_id"), Meter.id.label("meter_id"))
            .join(Meter, Meter.premise_id == Account.premise_id)
            .join(MeterType, MeterType.id == Meter.meter_type_id)
            .where(Account.opened_on <= last, or_(Account.closed_on.is_(None), Account.closed_on >= first),
                   Meter.installed_on <= last, or_(Meter.removed_on.is_(None), Meter.removed_on >= first),
                   exists().where(services.c.account_id == Account.id, services.c.resource == MeterType.resource))
            .distinct())


def _read_in(period: str, meter_id_column):
    from ..models import Reading

    return exists().where(Reading.meter_id == meter_id_column, Reading.source != ESTIMATE,
                          Reading.date >= first_day(period), Reading.date <= last_day(period))


def due_accounts(session, period: str) -> list[tuple[int, str]]:
    """(account id, e-mail) of every account to remind for ``period`` — one query for the town."""
    from ..models import Account

    pairs = _account_meters(period).subquery()
    rows = session.execute(
        select(Account.id, Account.email)
        .where(Account.email.is_not(None), func.trim(Account.email) != "",
               exists().where(pairs.c.account_id == Account.id, ~_read_in(period, pairs.c.meter_id)))
        .order_by(Account.id)).all()
    return [(account_id, email.strip()) for account_id, email in rows]


@dataclass
class MeterLine:
    meter_id: int
    serial: str
    resource: str
    last_value: Decimal | None
    last_date: date | None
    read_this_month: bool

    @property
    def resource_label(self) -> str:
        from ..models.choices import METER_RESOURCES

        return str(METER_RESOURCES.label(self.resource))

    @property
    def last_value_text(self) -> str:
        return _fmt(self.last_value) if self.last_value is not None else ""

    def text(self) -> str:
        if self.last_value is None:
            return f"• № {self.serial}, {self.resource_label}: " + _("no readings yet")
        return (f"• № {self.serial}, {self.resource_label}: " + _("last reading %(value)s on %(date)s",
                value=self.last_value_text, date=self.last_date.strftime("%d.%m.%Y")))


@dataclass
class AccountPage:
    account_id: int
    account_number: str
    owner: str
    email: str | None
    address: str
    building_id: int
    meters: list[MeterLine] = field(default_factory=list)


def load_accounts(session, account_ids, period: str) -> dict[int, AccountPage]:
    """The accounts, their address and meters (last reading and date, read this month or not) —
    three queries per chunk of accounts, whatever their number."""
    from ..models import Account, Building, Meter, MeterType, Premise, Reading
    from .sql import parts

    result: dict[int, AccountPage] = {}
    ids = sorted({int(i) for i in account_ids})
    for chunk in parts(ids):
        for row in session.execute(
                select(Account.id, Account.account_number, Account.owner_name, Account.email, Building.address,
                       Premise.number, Building.id.label("building_id"))
                .join(Premise, Premise.id == Account.premise_id).join(Building, Building.id == Premise.building_id)
                .where(Account.id.in_(chunk))):
            result[row.id] = AccountPage(row.id, row.account_number, row.owner_name, row.email,
                                         f"{row.address}, кв. {row.number}", row.building_id)
        pairs = _account_meters(period).where(Account.id.in_(chunk)).subquery()
        meters = session.execute(
            select(pairs.c.account_id, Meter.id, Meter.serial, MeterType.resource, Meter.initial_reading,
                   _read_in(period, Meter.id).label("read"))
            .join(Meter, Meter.id == pairs.c.meter_id).join(MeterType, MeterType.id == Meter.meter_type_id)
            .order_by(pairs.c.account_id, Meter.serial)).all()
        meter_ids = sorted({m.id for m in meters})
        last: dict[int, tuple] = {}
        for meter_chunk in parts(meter_ids):
            latest = (select(Reading.meter_id, func.max(Reading.date).label("day"))
                      .where(Reading.meter_id.in_(meter_chunk), Reading.source != ESTIMATE)
                      .group_by(Reading.meter_id).subquery())
            for meter_id, day, value in session.execute(
                    select(Reading.meter_id, Reading.date, Reading.value)
                    .join(latest, and_(latest.c.meter_id == Reading.meter_id, latest.c.day == Reading.date))):
                last[meter_id] = (from_db(value), day)
        for m in meters:
            value, day = last.get(m.id, (None, None))
            result[m.account_id].meters.append(MeterLine(m.id, m.serial, m.resource, value, day, bool(m.read)))
    return result


# --- the message ---------------------------------------------------------------------------
def _provider(session) -> str:
    from ..models import Organisation

    return session.scalar(select(Organisation.name).order_by(Organisation.id).limit(1)) or ""


def context_of(account: AccountPage, period: str, provider: str, lang: str = "uk") -> dict:
    """The values of the ``reminder`` template for one account: the meters not read this month."""
    due = [m for m in account.meters if not m.read_this_month]
    return {
        "account_number": account.account_number, "owner": account.owner, "address": account.address,
        "month": month_name(period, lang), "meters": "\n".join(m.text() for m in due),
        "link": link_url(account.account_id, period),
        "expires": last_day(period).strftime("%d.%m.%Y"), "provider": provider, "unsubscribe_url": "",
    }


def compose(session, deliveries) -> dict:
    """The outbox's composer of ``reminder``: a message per delivery, or None when the account
    no longer needs one (every meter read meanwhile, no address) — a few queries per batch."""
    from .mail import templates
    from .mail.outbox import Composed

    deliveries = list(deliveries)
    provider = _provider(session)
    by_period: dict[str, list] = {}
    for delivery in deliveries:
        by_period.setdefault(delivery.period, []).append(delivery)
    composed = {}
    for period, batch in by_period.items():
        accounts = load_accounts(session, [d.account_id for d in batch], period)
        for delivery in batch:
            account = accounts.get(delivery.account_id)
            address = _address_of(delivery) or (account.email if account else None)
            if account is None or not address or all(m.read_this_month for m in account.meters):
                composed[delivery.id] = None
                continue
            subject, text = templates.render(KIND, "uk", context_of(account, period, provider))
            composed[delivery.id] = Composed(to=address, subject=subject, text=text)
    return composed


def _address_of(delivery) -> str | None:
    for name in ("address", "to", "email", "recipient"):
        value = getattr(delivery, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def register_composer() -> None:
    from .mail import outbox

    outbox.register(KIND, compose)


register_composer()


@dataclass
class SendResult:
    period: str
    due: int
    queued: int


def send(session, period: str | None = None, user: str | None = None, dispatch: bool = True) -> SendResult:
    """Queue the reminders of ``period`` (default: this month in Kyiv) — an account already
    reminded this month is left as it is — and start sending them."""
    from .mail import outbox

    period = period or current_period()
    recipients = due_accounts(session, period)
    queued = outbox.queue(session, KIND, period, recipients, user=user) if recipients else 0
    session.commit()
    if dispatch:
        outbox.dispatch(KIND, period, user)
    return SendResult(period, len(recipients), queued)


def setting_value(session, key: str, day: date) -> Decimal:
    from ..billing.data import Setting as SettingRecord
    from ..billing.money import parse_decimal
    from ..billing.settings import Settings
    from ..models import Setting

    entries = []
    for k, valid_from, value in session.execute(
            select(Setting.key, Setting.valid_from, Setting.value).where(Setting.key == key)):
        try:
            entries.append(SettingRecord(k, valid_from, parse_decimal(value)))
        except ValueError:
            continue
    return Settings(entries).get(key, day)


def is_time(session, now: datetime | None = None) -> bool:
    """The beat's question each hour: from day ``reminders.day`` of the month, at or after hour
    ``reminders.hour`` (Kyiv), reminders go out; day 0 switches them off."""
    moment = local_now(now)
    day = int(setting_value(session, "reminders.day", moment.date()))
    hour = int(setting_value(session, "reminders.hour", moment.date()))
    if day <= 0:
        return False
    day = min(day, last_day(period_of(moment.date())).day)
    return moment.day > day or (moment.day == day and moment.hour >= hour)


# --- the public page -----------------------------------------------------------------------
def page(session, account_id: int, period: str) -> AccountPage:
    account = load_accounts(session, [account_id], period).get(account_id)
    if account is None:
        raise LinkRefused(_("This link is not valid: the account no longer exists."), 404)
    return account


@dataclass
class Submitted:
    errors: dict[int, str]
    saved: list[int]
    replaced: list[int]


def submit(session, account_id: int, period: str, values: dict, today: date | None = None) -> Submitted:
    """Store the readings entered on the page (``{meter_id: text}``; empty = not entered),
    dated today (Kyiv), with the source ``online``: every one checked first by the rules of the
    form, the API and the import, nothing stored unless all pass. A meter not of this account
    refuses the whole submission (:class:`LinkRefused`)."""
    from ..models import Account, Reading
    from ..validation import validate
    from . import audit
    from .imports.values import to_decimal

    account = page(session, account_id, period)
    own = {m.meter_id for m in account.meters}
    entered: dict[int, str] = {}
    for key, text in values.items():
        try:
            meter_id = int(key)
        except (TypeError, ValueError):
            raise LinkRefused(_("This link cannot be used for this meter.")) from None
        if meter_id not in own:
            raise LinkRefused(_("This link cannot be used for this meter."))
        if text is not None and str(text).strip():
            entered[meter_id] = str(text)
    errors: dict[int, str] = {}
    if not entered:
        return Submitted({0: _("Enter the reading of at least one meter")}, [], [])
    today = today or local_now().date()
    if period_of(today) != period:
        raise LinkRefused(_("This link has expired: it was valid until the end of %(month)s. "
                            "A new link comes with the next reminder.", month=month_name(period)), 410)
    number = session.scalar(select(Account.account_number).where(Account.id == account_id))
    author = f"online:{number}"[:100]
    earlier = {r.meter_id: r for r in session.scalars(
        select(Reading).where(Reading.meter_id.in_(sorted(entered)), Reading.source == ONLINE,
                              Reading.date >= first_day(period), Reading.date <= last_day(period))
        .order_by(Reading.date))}
    with audit.acting(author, None, ONLINE), session.no_autoflush:
        readings, replaced = [], []
        for meter_id, text in sorted(entered.items()):
            try:
                value = to_decimal(text, 16, 3)
            except ValueError as error:
                errors[meter_id] = str(error)
                continue
            reading = earlier.get(meter_id)
            if reading is None:
                from ..models import Meter

                reading = Reading(meter=session.get(Meter, meter_id), source=ONLINE, entered_by=author)
                session.add(reading)  # not flushed (no autoflush) before every reading is checked
            else:
                replaced.append(meter_id)
                reading.edited_by, reading.edited_at = author, func.now()
            reading.date, reading.value = today, value
            problems = validate(session, reading)
            if problems:
                errors[meter_id] = "; ".join(p.message for p in problems)
            readings.append(reading)
        if errors:
            session.rollback()
            return Submitted(errors, [], [])
        session.commit()
    return Submitted({}, sorted(entered), replaced)


# --- rate limits ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    per_link: int = 30
    per_ip: int = 120
    window_seconds: int = 600


def limits() -> Limits:
    from flask import current_app, has_app_context

    if not has_app_context():
        return Limits()
    config = current_app.config
    return Limits(int(config.get("ONLINE_READINGS_PER_LINK") or 30), int(config.get("ONLINE_READINGS_PER_IP") or 120),
                  int(config.get("ONLINE_READINGS_WINDOW_SECONDS") or 600))


def throttle(token: str, ip: str | None, now: datetime | None = None) -> bool:
    """Count this request for its link and its address; False when either is over its limit
    in the current window. Counted through a connection of its own (an upsert), so a refused
    submission's rollback does not undo the count and every worker sees it."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ..extensions import db
    from ..models import OnlineThrottle

    rule = limits()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    epoch = int(moment.replace(tzinfo=UTC).timestamp()) // rule.window_seconds * rule.window_seconds
    window = datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)
    keys = [("link", link_key(token), rule.per_link), ("ip", (ip or "-")[:100], rule.per_ip)]
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = OnlineThrottle.__table__
    allowed = True
    with db.engine.begin() as connection:
        for kind, key, limit in keys:
            statement = insert(table).values(kind=kind, key=key, window_start=window, hits=1)
            statement = statement.on_conflict_do_update(index_elements=["kind", "key", "window_start"],
                                                        set_={"hits": table.c.hits + 1})
            connection.execute(statement)
            hits = connection.scalar(select(table.c.hits).where(table.c.kind == kind, table.c.key == key,
                                                                table.c.window_start == window))
            allowed = allowed and hits <= limit
    return allowed


def sweep_throttle(now: datetime | None = None) -> int:
    """Drop the counts of windows that ended a day ago (the beat's sweep)."""
    from sqlalchemy import delete

    from ..extensions import db
    from ..models import OnlineThrottle

    cutoff = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None) - timedelta(days=1)
    with db.engine.begin() as connection:
        return connection.execute(delete(OnlineThrottle).where(OnlineThrottle.window_start < cutoff)).rowcount
