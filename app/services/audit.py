"""Журнал змін (the audit log): who created, changed or deleted which registry record, when,
from where, with every changed field's old and new value — written by itself.

* Every ORM write (forms, the REST API, the command line, tasks) is seen by two session
  events: ``before_flush`` notes the values of changed and deleted records before the flush,
  ``after_flush`` compares them with what was written and inserts the audit rows of the whole
  flush with one executemany, in the same transaction (a rolled-back write leaves no row).
* Bulk writes that bypass the ORM call :func:`record_inserts` (``app.services.sql.insert_rows``
  does it for every audited table) and :func:`record_updates` (the import's executemany
  updates): one bulk insert of audit rows per batch.
* Who and from where: :func:`acting` (a context variable) set by the command line, tasks and
  import runs; else the signed-in user of the request (``web`` or ``api``).

The values are JSON: decimals (money) as strings, exact; dates in ISO form; a password hash
never — only that it changed. Personal data is stored as it is and masked when shown
(:func:`masked`) to users who may not see it (``security.may_see_personal_data``).
"""
from __future__ import annotations

import contextvars
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..billing.money import trim
from ..models import AuditLog

# The registry, catalogs, settings, metering and the users and roles (issue 8 item 7).
AUDITED = frozenset({
    "building", "premise", "resident", "registration", "account", "account_service", "beneficiary",
    "meter", "reading", "group_meter_premise",
    "service", "tariff", "tariff_component", "norm", "meter_type", "benefit_category", "network_node",
    "organisation", "setting", "public_holiday",
    "claim_act", "claim_act_target",
    "penalty_exemption", "restructuring_agreement",
    "inspector_building", "ab_user", "ab_role",
    "write_off", "write_off_line",
})
# Bookkeeping columns every login or save touches: not a change of the record.
IGNORED = {
    "ab_user": frozenset({"last_login", "login_count", "fail_login_count", "created_on", "changed_on",
                          "created_by_fk", "changed_by_fk"}),
    "reading": frozenset({"entered_by", "entered_at", "edited_by", "edited_at"}),
}
# Bookkeeping of every table, no fact of the record: the row version of optimistic locking
# (``app/models/versioned.py``) moves on with every save.
IGNORED_EVERYWHERE = frozenset({"version"})
# Logged as changed, never with their value.
SECRET = {"ab_user": frozenset({"password"})}
SECRET_VALUE = "***"
# Collections (many-to-many) logged as a field of the record: the names before and after.
COLLECTIONS = {"ab_user": ("roles",), "ab_role": ("permissions",)}
# Personal data (the fields the screens show only to roles allowed to see residents). An account's
# consent to invoices by e-mail and its date are not: how the invoice is delivered, not who the
# owner is (the e-mail address itself is).
PERSONAL = {
    "resident": frozenset({"full_name", "rnokpp", "birth_date", "phone", "email"}),
    "account": frozenset({"owner_name", "owner_rnokpp", "phone", "email"}),
    "ab_user": frozenset({"first_name", "last_name", "email"}),
}
MASK = "•••"

_COLUMNS = ("user_id", "username", "source", "table_name", "record_id", "action", "changes")


@dataclass(frozen=True)
class Actor:
    username: str | None
    user_id: int | None
    source: str


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("oblik_audit_actor", default=None)
_default: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("oblik_audit_default", default=None)
_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("oblik_audit_paused", default=False)


@contextmanager
def acting(username: str | None, user_id: int | None = None, source: str = "cli"):
    """Writes inside the block are logged as ``username``'s from ``source``."""
    token = _actor.set(Actor(username, user_id, source))
    try:
        yield
    finally:
        _actor.reset(token)


def act_as(username: str | None, user_id: int | None = None, source: str = "cli") -> None:
    """For the rest of this process (the command line): writes outside a request and outside
    :func:`acting` are ``username``'s."""
    _default.set(Actor(username, user_id, source))


@contextmanager
def acting_in_task():
    """A Celery task: its writes are from ``task`` (an import inside it says ``import`` and
    whose file it is; a task run eagerly inside a request keeps the request's user)."""
    outer = current_actor()
    with acting(outer.username, outer.user_id, "task"):
        yield


def act_as_os_user() -> None:
    """The command line: its writes are the operating-system user's, from ``cli``."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        name = None
    act_as(name, None, "cli")


@contextmanager
def paused():
    """Nothing written inside is logged: the generated demo town only (``oblik demo``)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def current_actor() -> Actor:
    """:func:`acting`, else the request's signed-in user (``web``/``api``), else
    :func:`act_as` (the command line), else ``system``."""
    actor = _actor.get()
    if actor is not None:
        return actor
    from flask import g, has_request_context, request

    if has_request_context():
        from flask_login import current_user

        user = getattr(g, "user", None)  # FAB's: the session's user, or the REST API token's
        if not getattr(user, "is_authenticated", False):
            user = current_user if getattr(current_user, "is_authenticated", False) else None
        source = "api" if request.path.startswith("/api/") else "web"
        return Actor(getattr(user, "username", None), getattr(user, "id", None), source)
    return _default.get() or Actor(None, None, "system")


# --- values ---------------------------------------------------------------------------------
def plain(value):
    """A JSON value: decimals as exact strings (``0.05``, ``250.40``), dates ISO, anything else its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(trim(value, 2))  # exact; at least kopiyky, no padding zeros beyond
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _differs(before, after) -> bool:
    """Another value: 1.50 and 1.5 are the same number, a date and its text the same date."""
    return before != after and plain(before) != plain(after)


def _shown(table: str, field: str, value):
    if value is not None and field in SECRET.get(table, ()):
        return SECRET_VALUE
    return plain(value)


def _dump(changes: dict) -> str:
    return json.dumps(changes, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _row(actor: Actor, table: str, record_id, action: str, changes: dict) -> tuple:
    return (actor.user_id, actor.username, actor.source, table, record_id, action, _dump(changes))


def _write(connection, rows: list[tuple]) -> None:
    if not rows:
        return
    from .sql import insert_rows

    insert_rows(connection, AuditLog.__table__, _COLUMNS, rows, audit=False)


def enabled(table_name: str) -> bool:
    return table_name in AUDITED and not _paused.get()


# --- bulk writes ----------------------------------------------------------------------------
def record_inserts(connection, table, columns, rows, ids) -> None:
    """Audit rows of records inserted in bulk: ``rows`` (tuples in ``columns`` order) got
    ``ids``. One bulk insert."""
    name = table.name
    if not enabled(name):
        return
    actor = current_actor()
    skip = IGNORED.get(name, frozenset()) | IGNORED_EVERYWHERE | {"id"}
    keep = [(i, c) for i, c in enumerate(columns) if c not in skip]
    _write(connection, [
        _row(actor, name, record_id, "insert",
             {c: [None, _shown(name, c, row[i])] for i, c in keep if row[i] is not None})
        for record_id, row in zip(ids, rows)])


def record_updates(connection, table, changes) -> None:
    """Audit rows of records updated in bulk: ``changes`` is [(id, old values, new values)]
    (dicts by column); fields whose value is the same are left out. One bulk insert."""
    name = table.name
    if not enabled(name):
        return
    actor = current_actor()
    skip = IGNORED.get(name, frozenset()) | IGNORED_EVERYWHERE
    rows = []
    for record_id, old, new in changes:
        diff = {f: [_shown(name, f, old.get(f)), _shown(name, f, v)] for f, v in new.items()
                if f not in skip and _differs(old.get(f), v)}
        if diff:
            rows.append(_row(actor, name, record_id, "update", diff))
    _write(connection, rows)


# --- ORM writes -----------------------------------------------------------------------------
def _audited(obj) -> str | None:
    table = getattr(obj, "__table__", None)
    name = getattr(table, "name", None)
    return name if name is not None and enabled(name) else None


def _columns(state, name):
    skip = IGNORED.get(name, frozenset()) | IGNORED_EVERYWHERE
    return [attr.key for attr in state.mapper.column_attrs if attr.key not in skip]


def _snapshot(state, name, unknown: list | None = None) -> dict:
    """The values of a persistent record as they were before this flush. A field not loaded since
    the last commit (expired), or set before it was loaded, has its old value only in the
    database: its key goes to ``unknown`` for :func:`_read_unknown`."""
    values = {}
    for key in _columns(state, name):
        history = state.attrs[key].history
        if history.deleted:
            values[key] = history.deleted[0]
        elif history.added or key in state.unloaded:
            values[key] = None
            if unknown is not None:
                unknown.append(key)
        else:
            values[key] = state.dict.get(key)
    return values


def _read_unknown(session, wanted) -> None:
    """Fill the snapshots' old values that only the database knows: ``wanted`` is [(state,
    snapshot, keys)]; one query per table and 500 records (the row as it is before this flush)."""
    from .sql import parts

    by_mapper: dict = {}
    for state, values, keys in wanted:
        if state.identity is not None and len(state.identity) == 1:
            by_mapper.setdefault(state.mapper, []).append((state.identity[0], values, keys))
    connection = session.connection()
    for mapper, records in by_mapper.items():
        keys = sorted({k for _, _, ks in records for k in ks})
        columns = [mapper.column_attrs[k].columns[0] for k in keys]
        key_column = mapper.primary_key[0]
        for part in parts(records, 500):
            found = {row[0]: row[1:] for row in connection.execute(
                select(key_column, *columns).where(key_column.in_([r[0] for r in part])))}
            for record_id, values, record_keys in part:
                row = found.get(record_id)
                if row is not None:
                    stored = dict(zip(keys, row))
                    for key in record_keys:
                        values[key] = stored[key]


def _collection_names(state, key):
    history = state.attrs[key].history
    if not history.added and not history.deleted:
        return None
    before = sorted(str(o) for o in (*history.unchanged, *history.deleted))
    after = sorted(str(o) for o in (*history.unchanged, *history.added))
    return (before, after) if before != after else None


def _before_flush(session, flush_context, instances):
    pending = session.info.setdefault("oblik_audit", {})
    wanted = []
    for obj in session.dirty:
        name = _audited(obj)
        if name and obj not in pending:
            state = inspect(obj)
            unknown: list = []
            values = _snapshot(state, name, unknown)
            if unknown:
                wanted.append((state, values, unknown))
            pending[obj] = ("update", values, {
                key: found for key in COLLECTIONS.get(name, ())
                if (found := _collection_names(state, key)) is not None})
    if wanted:
        _read_unknown(session, wanted)
    for obj in session.deleted:
        name = _audited(obj)
        if name:
            state = inspect(obj)
            if state.expired_attributes:  # deleted without being loaded (after a commit): load it
                session.refresh(obj)
            pending[obj] = ("delete", _snapshot(state, name), {})


def _after_flush(session, flush_context):
    pending = session.info.pop("oblik_audit", {})
    rows = []
    for obj in session.new:
        name = _audited(obj)
        if not name:
            continue
        state = inspect(obj)
        changes = {k: [None, _shown(name, k, state.dict.get(k))] for k in _columns(state, name)
                   if k != "id" and state.dict.get(k) is not None}
        for key in COLLECTIONS.get(name, ()):
            names = sorted(str(o) for o in state.dict.get(key) or ())
            if names:
                changes[key] = [None, names]
        rows.append((name, state.dict.get("id"), "insert", changes))
    for obj in session.deleted:
        if obj not in pending and _audited(obj):  # deleted by a cascade during the flush
            pending[obj] = ("delete", _snapshot(inspect(obj), _audited(obj)), {})
    for obj, (action, old, collections) in pending.items():
        name = _audited(obj)
        state = inspect(obj)
        if action == "delete":
            changes = {k: [_shown(name, k, v), None] for k, v in old.items() if k != "id" and v is not None}
        else:
            changes = {}
            for key, before in old.items():
                if key not in state.dict:
                    continue  # expired by the flush (a server default): not changed here
                after = state.dict[key]
                if _differs(before, after):
                    changes[key] = [_shown(name, key, before), _shown(name, key, after)]
            for key in COLLECTIONS.get(name, ()):
                if key not in collections and (found := _collection_names(state, key)) is not None:
                    collections[key] = found
            for key, (before, after) in collections.items():
                changes[key] = [before, after]
            if not changes:
                continue
        record_id = state.identity[0] if state.identity else old.get("id")
        rows.append((name, record_id, action, changes))
    if rows:
        actor = current_actor()
        _write(session.connection(), [_row(actor, *row) for row in rows])


def _after_soft_rollback(session, previous_transaction):
    session.info.pop("oblik_audit", None)


def install():
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush),
                           ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- reading it -----------------------------------------------------------------------------
def masked(table_name: str, changes: dict, may_see_personal: bool) -> dict:
    """``changes`` as a user may see them: personal fields masked unless allowed."""
    if may_see_personal:
        return changes
    personal = PERSONAL.get(table_name, frozenset())
    return {f: ([None if v is None else MASK for v in pair] if f in personal else pair)
            for f, pair in changes.items()}


def history(session, targets, limit: int = 200) -> list[AuditLog]:
    """The audit rows of records ``targets`` [(table, id)], newest first (one query) — since
    each record's latest creation: SQLite gives a new record the id of a deleted last one,
    whose history is not the new record's (it stays on the audit screen)."""
    from sqlalchemy import and_, func, or_
    from sqlalchemy.orm import aliased

    if not targets:
        return []
    created = aliased(AuditLog)
    conditions = []
    for table_name, record_id in targets:
        since = (select(func.coalesce(func.max(created.id), 0))
                 .where(created.table_name == table_name, created.record_id == record_id, created.action == "insert")
                 .scalar_subquery())
        conditions.append(and_(AuditLog.table_name == table_name, AuditLog.record_id == record_id,
                               AuditLog.id >= since))
    return list(session.scalars(select(AuditLog).where(or_(*conditions)).order_by(AuditLog.id.desc()).limit(limit)))


def changes_from(text: str | None) -> dict:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}
