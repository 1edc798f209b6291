"""Every import is recorded (``ImportRecord``): who, when, which file (name, size, SHA-256),
the kind, the counts, the status and the rejected-row report — and, while a background task
works on it, its progress.

The life of an upload in the UI: ``uploaded`` → (check) ``ready`` | ``rejected`` | ``failed``
→ (commit) ``committing`` → ``committed`` | ``rejected`` | ``failed``; or ``cancelled``. The
command line records ``checked`` (``--dry-run``) or ``committed`` / ``rejected`` / ``failed``.
The file is kept in the record only until it is written or cancelled. Each step is
idempotent: a step whose status has passed does nothing (a task delivered twice is harmless).

While a process checks or writes a file it moves the record's ``heartbeat_at`` on
(:mod:`app.services.heartbeat`); a record whose heartbeat went silent lost its process and is
swept (:func:`sweep_orphans`): a file being written is ready to write again — its write is one
transaction, so nothing of it was written —, a file being checked is checked again, a command
line import that died is failed.
"""
import hashlib
import logging
import os
from dataclasses import dataclass, field
from time import monotonic

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import ImportRecord
from ...models.imports import IMPORT_RUNNING
from ..heartbeat import Heartbeat, now, stale
from .. import audit
from .actors import Actor, actor_for
from .engine import Importer, Outcome
from .errors import FileRefused, ImportNotAllowed
from .files import Limits, read_table
from .kinds import KINDS

log = logging.getLogger(__name__)


def setting(name, default):
    """An import setting: the app's config, else the environment, else ``default``."""
    if name in current_app.config:
        return current_app.config[name]
    return os.environ.get(name, default)


def limits() -> Limits:
    return Limits.from_settings(setting)


def max_problems() -> int:
    return int(setting("OBLIK_IMPORT_MAX_PROBLEMS", 100_000))


def check_kind(kind: str, actor: Actor):
    """Refuse an unknown kind or a kind the actor may not import (``can_add`` on its resource)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise FileRefused(_("Unknown kind of import «%(kind)s»; one of: %(kinds)s",
                            kind=kind, kinds=", ".join(KINDS)), "unknown_kind")
    if not actor.may(spec.resource, "can_add"):
        raise ImportNotAllowed(_("You may not import %(kind)s", kind=str(spec.label).lower()))
    return spec


def create_record(actor: Actor, kind: str, file_name: str, data: bytes, *, channel="web", dry_run=False,
                  keep_content=True) -> ImportRecord:
    record = ImportRecord(
        kind=kind, file_name=(file_name or "—")[:255], file_size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        user_id=actor.user_id, username=actor.username[:128], channel=channel, dry_run=dry_run,
        status="uploaded", progress_done=0, problems_truncated=False,
        content=data if keep_content else None,
    )
    db.session.add(record)
    db.session.commit()
    return record


def _progress_writer(record_id):
    """A callback storing the progress through its own connection (visible at once), at most
    twice a second; never during the write itself (SQLite has one writer at a time)."""
    last = [0.0]

    def write(done, total, force=False):
        moment = monotonic()
        if not force and moment - last[0] < 0.5:
            return
        last[0] = moment
        with db.engine.begin() as connection:
            connection.execute(update(ImportRecord.__table__).where(ImportRecord.id == record_id)
                               .values(progress_done=done // 2, progress_total=total // 2, heartbeat_at=now()))

    return write


def run(record_id: int, data: bytes, actor: Actor, *, write: bool, progress=False,
        partial: bool = False) -> Outcome | FileRefused:
    """Check (``write=False``) or import the file of a record, and store the outcome in it.
    Writing and the record's final state are one transaction: all rows, or none — or, with
    ``partial`` (a payment register, on the user's choice), every valid row, the rejected ones
    kept in the record as a file to fix and import again. What it writes is logged (``audit``)
    as the actor's, from ``import``."""
    with _keep_alive(record_id), audit.acting(actor.username, actor.user_id, "import"):
        return _run(record_id, data, actor, write=write, progress=progress, partial=partial)


def _keep_alive(record_id) -> Heartbeat:
    """The record's heartbeat while this process works on it (:func:`sweep_orphans`)."""
    def statement():
        return (update(ImportRecord.__table__)
                .where(ImportRecord.id == record_id, ImportRecord.status.in_(IMPORT_RUNNING))
                .values(heartbeat_at=now()))

    return Heartbeat(db.engine, statement)


def _run(record_id: int, data: bytes, actor: Actor, *, write: bool, progress=False,
         partial: bool = False) -> Outcome | FileRefused:
    session = db.session
    record = session.get(ImportRecord, record_id)
    spec = KINDS[record.kind]
    try:
        check_kind(record.kind, actor)
        table = read_table(data, record.file_name, limits())
        importer = Importer(session, spec, actor, dry_run=not write,
                            progress=_progress_writer(record_id) if progress else None,
                            max_problems=max_problems(), partial=partial and write)
        outcome = importer.run(table)
        rejected_file = None
        if outcome.written and outcome.partial:
            rejected_file = rejected_rows_file(table, outcome.rejected_rows)
    except (FileRefused, ImportNotAllowed) as refused:
        session.rollback()
        _refused(record_id, refused)
        return refused if isinstance(refused, FileRefused) else FileRefused(str(refused), "forbidden")
    except IntegrityError as e:  # another user wrote the same keys meanwhile
        session.rollback()
        refused = FileRefused(_("The database refused the rows (it changed meanwhile); nothing was written: "
                                "%(error)s", error=str(e.orig).splitlines()[0][:300]), "database")
        _refused(record_id, refused)
        return refused
    except Exception:
        session.rollback()
        log.exception("Import %s failed", record_id)
        _refused(record_id, FileRefused(_("The import stopped on an unexpected error; nothing was written"), "error"))
        raise
    record = session.get(ImportRecord, record_id)
    session.refresh(record)
    if record.status == "cancelled":  # cancelled while a task was checking it: leave it so
        session.rollback()
        return outcome
    _store(record, outcome, write)
    if write:
        record.partial = outcome.partial
        record.rejected_file = rejected_file
    session.commit()
    return outcome


def _store(record: ImportRecord, outcome: Outcome, write: bool):
    record.total_rows = outcome.total
    record.created, record.updated = outcome.created, outcome.updated
    record.unchanged, record.rejected = outcome.unchanged, outcome.rejected
    record.progress_done = record.progress_total = outcome.total
    record.warnings = [str(w) for w in outcome.warnings]
    record.problems = [p.as_dict() for p in outcome.problems]
    record.problems_truncated = outcome.problems_total > len(outcome.problems)
    record.sample = outcome.sample
    record.totals = outcome.totals
    record.message = None
    if outcome.written:
        record.status = "committed"
    elif outcome.rejected:
        record.status = "rejected"
    else:
        record.status = "checked" if record.dry_run else "ready"
    if record.status != "ready" and not may_write_valid_rows(record, outcome):
        record.content = None
    record.finished_at = func.now()


def may_write_valid_rows(record: ImportRecord, outcome: Outcome | None = None) -> bool:
    """Whether the checked file of ``record`` may have its valid rows written alone: a payment
    register (``Kind.partial_write``) uploaded on the screen, checked with rows rejected and
    others valid, not yet written."""
    spec = KINDS.get(record.kind)
    if spec is None or not spec.partial_write or record.dry_run or record.channel != "web":
        return False
    rejected = outcome.rejected if outcome is not None else record.rejected
    total = outcome.total if outcome is not None else record.total_rows
    return record.status == "rejected" and bool(rejected) and (total or 0) > rejected


def rejected_rows_file(table, reasons: dict) -> bytes:
    """The rejected rows of a partial write as a file of the format uploaded — a CSV with its
    delimiter and encoding, or an XLSX — the header as the file wrote it, each row as it was,
    and a last column «Причина відхилення»: the reasons, in Ukrainian. Fixed and imported
    again, its rows are matched on their key like any other (the reasons column is ignored);
    the rows already written are not among them. Written by the one safe writer."""
    from datetime import date, datetime

    from ..spreadsheets import CsvWriter, xlsx_bytes
    from .headers import REASON_HEADER

    header = list(table.headers) + [REASON_HEADER]
    width = len(table.headers)
    rows = []
    for number, cells in table.rows:
        if number in reasons:
            cells = list(cells)[:width] + [None] * max(0, width - len(cells))
            rows.append(cells + ["; ".join(reasons[number]) or _("See the report of the import")])
    if table.file_format == "xlsx":
        def fill(book):
            bold = book.format(bold=True)
            day = book.format(num_format="dd.mm.yyyy")
            sheet = book.sheet(_("Rejected rows"))
            sheet.write_row(0, header, bold)
            for line, cells in enumerate(rows, start=1):
                for position, value in enumerate(cells):
                    sheet.write(line, position, value, day if isinstance(value, (date, datetime)) else None)
            sheet.freeze_panes(1, 0)
        return xlsx_bytes(fill)
    import io

    out = io.StringIO()
    writer = CsvWriter(out, delimiter=table.delimiter or ";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    if table.encoding == "cp1251":
        return out.getvalue().encode("cp1251", errors="replace")
    return ("\ufeff" if table.encoding == "utf-8-sig" else "").encode() + out.getvalue().encode("utf-8")


def _refused(record_id, refused):
    db.session.execute(update(ImportRecord.__table__).where(ImportRecord.id == record_id).values(
        status="failed", message=str(refused), content=None, finished_at=func.now()))
    db.session.commit()


def _claim(record_id, from_statuses, to_status) -> bool:
    """Move a record from one status to the next, atomically: only one caller wins."""
    result = db.session.execute(update(ImportRecord.__table__)
                                .where(ImportRecord.id == record_id, ImportRecord.status.in_(from_statuses))
                                .values(status=to_status, heartbeat_at=now()))
    db.session.commit()
    return result.rowcount == 1


def _actor_of(record: ImportRecord) -> Actor:
    if record.user is None:
        raise ImportNotAllowed(_("The user who uploaded the file no longer exists"))
    return actor_for(db.session, record.user)


def check_record(record_id: int, progress=True):
    """The preview: check every row of an uploaded file, write nothing. A check delivered again
    after its worker died takes the record over (checking twice writes nothing twice)."""
    if not _claim(record_id, ("uploaded", "checking"), "checking"):
        return None
    return _run_as_uploader(db.session.get(ImportRecord, record_id), write=False, progress=progress)


def claim_commit(record_id: int) -> bool:
    return _claim(record_id, ("ready",), "committing")


def claim_partial_commit(record_id: int) -> bool:
    """«Записати коректні рядки»: move a payment register checked with rejected rows on to be
    written with its valid rows only (the choice is kept in the record for the task)."""
    record = db.session.get(ImportRecord, record_id)
    if record is None or not may_write_valid_rows(record):
        return False
    table = ImportRecord.__table__
    result = db.session.execute(update(table).where(table.c.id == record_id, table.c.status == "rejected",
                                                    table.c.content.isnot(None))
                                .values(status="committing", partial=True, heartbeat_at=now()))
    db.session.commit()
    return result.rowcount == 1


def commit_record(record_id: int, progress=True):
    """Write a checked file (checked again: the database may have changed since)."""
    record = db.session.get(ImportRecord, record_id)
    if record is None or record.status != "committing":
        return None
    return _run_as_uploader(record, write=True, progress=progress)


def _run_as_uploader(record: ImportRecord, write: bool, progress: bool):
    """Check (or write) the stored file with the rights its uploader has now."""
    try:
        actor = _actor_of(record)
    except ImportNotAllowed as e:
        _refused(record.id, e)
        return None
    return run(record.id, record.content, actor, write=write, progress=progress, partial=write and record.partial)


@dataclass
class Swept:
    """What :func:`sweep_orphans` did: records ready to write again, records to check again
    (the caller queues their check), command-line imports failed."""

    ready: list = field(default_factory=list)
    recheck: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def sweep_orphans() -> Swept:
    """Records whose process died (their heartbeat silent for :func:`.heartbeat.stale`)."""
    table = ImportRecord.__table__
    session = db.session
    session.rollback()
    silent = table.c.heartbeat_at < now() - stale()
    swept = Swept()
    # a partial write that died: back to its checked state, to be chosen again (nothing was written)
    swept.ready = list(session.scalars(update(table).where(table.c.status == "committing", silent,
                                                           table.c.partial.is_(True)).values(
        status="rejected", partial=False, heartbeat_at=None, progress_done=0,
        message=_("The process writing this file stopped; nothing of it was written. Write it again."))
        .returning(table.c.id)))
    swept.ready += list(session.scalars(update(table).where(table.c.status == "committing", silent).values(
        status="ready", heartbeat_at=None, progress_done=0,
        message=_("The process writing this file stopped; nothing of it was written. Write it again."))
        .returning(table.c.id)))
    swept.recheck = list(session.scalars(update(table).where(table.c.status == "checking", silent).values(
        status="uploaded", heartbeat_at=None, progress_done=0).returning(table.c.id)))
    swept.failed = list(session.scalars(update(table).where(table.c.status == "uploaded", silent).values(
        status="failed", content=None, finished_at=func.now(),
        message=_("The process importing this file stopped; nothing of it was written. Import it again."))
        .returning(table.c.id)))
    session.commit()
    if swept.ready or swept.recheck or swept.failed:
        log.warning("imports swept: ready again %s, checked again %s, failed %s", swept.ready, swept.recheck,
                    swept.failed)
    return swept


def cancel_record(record_id: int) -> bool:
    result = db.session.execute(update(ImportRecord.__table__)
                                .where(ImportRecord.id == record_id, ImportRecord.status.in_(("uploaded", "ready")))
                                .values(status="cancelled", content=None, finished_at=func.now()))
    db.session.commit()
    return result.rowcount == 1


def previous_import(record: ImportRecord) -> ImportRecord | None:
    """An earlier written import of the very same file (same SHA-256 and kind)."""
    return db.session.scalar(select(ImportRecord).where(
        ImportRecord.sha256 == record.sha256, ImportRecord.kind == record.kind,
        ImportRecord.status == "committed", ImportRecord.id != record.id).order_by(ImportRecord.id.desc()).limit(1))


def problem_report(record: ImportRecord) -> bytes:
    """The rejected rows of ``record`` as a CSV for Excel (UTF-8 with a BOM, ``;``): row, column,
    value, reason. The values are what the file held — a hostile ``=HYPERLINK(…)`` among them —
    so it is written by the one safe writer: such a value lands as text (``'=HYPERLINK(…)``)."""
    from ..spreadsheets import csv_bytes

    rows = [[_("Row"), _("Column"), _("Value"), _("Reason")]]
    rows += [[p["row"], p["column"], p["value"], p["message"]] for p in record.problems or []]
    return csv_bytes(rows, delimiter=";", bom=True, lineterminator="\r\n")
