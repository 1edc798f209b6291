"""Building the invoices of a period (issue 9 §2): PDF files on disk, in the background.

A build (:class:`~app.models.InvoiceBuild`) writes the invoices of a period — the whole town, one
building (``--building``) or one account (``--account``) — into a directory: for each building
``<directory>/<building code>/`` with one PDF per account (:func:`..invoices.file_name`) and,
for a building or the whole town, one combined PDF of the building in delivery order
(entrance, flat number sorted naturally; :func:`combined_name`) to print. The open period's
invoices come from its draft (preliminary), a closed period's from the journal — the document
(:func:`..invoices.load_invoices`) decides that from the period it is given.

The build is split into chunks, one per building (:class:`~app.models.InvoiceChunk`), recorded
with it; :func:`build_chunk` loads the building's invoices in one call, writes each file to a
temporary name and moves it into place (``os.replace``: a reader never sees half a file, a
rebuilt chunk replaces its files, and files of accounts no longer there are removed), then
marks the chunk finished in the same transaction that adds it to the progress — a chunk
delivered twice adds nothing twice. A chunk taken up more than :data:`MAX_ATTEMPTS` times
fails the build instead of killing workers in a loop.

One build of a period runs at a time (a partial unique index on ``invoice_build``); a second
is refused with :func:`busy_message`. A build whose process died goes silent (its chunks'
heartbeats, :mod:`..heartbeat`) and is swept — failed — by :func:`sweep_orphans` (beat's
``oblik.sweep`` and the next start); started again, a failed build of the same scope and
directory resumes: only its unfinished chunks are built.
"""
from __future__ import annotations

import logging
import os
import re
import time
import traceback
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ...billing.periods import parse_period
from ...extensions import db
from ...models import Account, Building, InvoiceBuild, InvoiceChunk, Period, Premise
from ..heartbeat import Heartbeat, now, stale
from ...validation.readings import local_moment
from . import combined_pdf, file_name, invoice_pdf, load_invoices

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a chunk taken up more often than this (it kills its worker) fails the build
TRACEBACK_MARK = "\n\n--- traceback ---\n"  # in ``InvoiceBuild.message``: the admin's part follows
TEMP_SUFFIX = ".part"


class BuildError(Exception):
    """A build cannot start: a period, account or building that is not there (message for the user)."""


class BuildBusy(BuildError):
    """Another build of the period is going (message for the user)."""


# --- names and places ---------------------------------------------------------------------------

def builds_root() -> Path:
    """Where the screen's builds go: ``<instance>/invoices``."""
    return Path(current_app.instance_path) / "invoices"


def safe_name(text: str) -> str:
    """A file or directory name of ``text``: letters, digits, ``.``, ``-``, ``_`` only."""
    name = re.sub(r"[^\w.-]+", "_", str(text)).strip("._")
    return name or "_"


def building_folder(code: str, building_id: int) -> str:
    """The directory of a building in a build: its code, or (a code that is no safe name) the
    code made safe with the building's id, so that two buildings never share one."""
    safe = safe_name(code)
    return safe if safe == code else f"{safe}-{building_id}"


def combined_name(code: str, period: str) -> str:
    """The building's printing file (all its invoices, in delivery order)."""
    return f"budynok-{safe_name(code)}-{period}.pdf"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary name beside ``path``, then move it into place."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
    with open(temp, "wb") as stream:
        stream.write(data)
    os.replace(temp, path)


def _tidy(folder: Path, keep: set[str] | None) -> None:
    """Remove what an earlier attempt left in a building's folder: temporary files of a process
    killed while writing (older than a heartbeat's silence: not another live attempt's) and,
    with ``keep``, the PDFs not written now (accounts no longer there)."""
    limit = time.time() - stale().total_seconds()  # files' mtimes are epoch seconds (now() is naive UTC)
    for entry in folder.iterdir():
        if not entry.is_file():
            continue
        if entry.name.endswith(TEMP_SUFFIX) and entry.name.startswith("."):
            if entry.stat().st_mtime < limit:
                entry.unlink(missing_ok=True)
        elif keep is not None and entry.suffix == ".pdf" and entry.name not in keep:
            entry.unlink(missing_ok=True)


# --- starting a build ---------------------------------------------------------------------------

def period_status(session, period: str) -> str:
    """``open`` or ``closed``; :class:`BuildError` for a period written wrong or not kept."""
    try:
        parse_period(period or "")
    except ValueError:
        raise BuildError(_("A period is written YYYY-MM: %(value)s", value=period)) from None
    status = session.scalar(select(Period.status).where(Period.period == period))
    if status is None:
        raise BuildError(_("There is no period %(period)s: invoices are built for the open period or a closed one.",
                           period=period))
    return status


def busy_message(build: InvoiceBuild | None, period: str) -> str:
    if build is None:
        return _("Invoices of %(period)s are being built: try again in a minute.", period=period)
    return _("Invoices of %(period)s are already being built (build no. %(id)s, started by %(who)s at %(since)s); "
             "wait until it finishes.", period=period, id=build.id, who=build.started_by or "—",
             since=local_moment(build.started_at).strftime("%d.%m.%Y %H:%M") if build.started_at else "")


def running_build(session, period: str) -> InvoiceBuild | None:
    return session.scalar(select(InvoiceBuild).where(InvoiceBuild.period == period,
                                                     InvoiceBuild.status == "running")
                          .execution_options(populate_existing=True))


def start_build(period: str, *, account_number: str | None = None, building_code: str | None = None,
                directory: str | os.PathLike | None = None, user: str | None = None) -> InvoiceBuild:
    """Record a build of ``period`` (all of it, one building or one account) with its chunks,
    or resume the latest build of the same scope and directory if it failed (only its
    unfinished chunks are left to build). ``directory`` None: the screen's place under the
    instance directory. Refused while another build of the period runs."""
    session = db.session
    status = period_status(session, period)
    account_id = building_id = None
    if account_number:
        if "\x00" in account_number:
            raise BuildError(_("No personal account %(number)s.", number=account_number.replace("\x00", "")))
        row = session.execute(select(Account.id, Premise.building_id).join(Premise, Account.premise_id == Premise.id)
                              .where(Account.account_number == account_number.strip())).first()
        if row is None:
            raise BuildError(_("No personal account %(number)s.", number=account_number))
        account_id, building_id = row
    if building_code:
        if "\x00" in building_code:
            raise BuildError(_("No building with code %(code)s.", code=building_code.replace("\x00", "")))
        found = session.scalar(select(Building.id).where(Building.code == building_code.strip()))
        if found is None:
            raise BuildError(_("No building with code %(code)s.", code=building_code))
        if building_id is not None and found != building_id:
            raise BuildError(_("Personal account %(number)s is not in building %(code)s.", number=account_number,
                               code=building_code))
        building_id = found
    target = str(Path(directory).expanduser().resolve()) if directory else None
    sweep_orphans(period)
    previous = _latest_of_scope(session, period, account_id, building_id, target)
    if previous is not None and previous.status == "failed" and previous.preliminary == (status == "open"):
        return _resume(session, previous, period)
    build = InvoiceBuild(period=period, status="running", preliminary=status == "open", account_id=account_id,
                         building_id=None if account_id else building_id, directory=target or "-",
                         started_by=user, started_at=now(), heartbeat_at=now(), chunks_total=0, chunks_done=0,
                         buildings_total=0, buildings_done=0, accounts=0, files=0)
    session.add(build)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise BuildBusy(busy_message(running_build(session, period), period)) from None
    if target is None:
        build.directory = str(builds_root() / period / str(build.id))
    buildings = _buildings(session, building_id)
    if buildings:
        session.execute(insert(InvoiceChunk), [
            {"build_id": build.id, "building_id": bid, "seq": seq, "building_code": code, "attempts": 0,
             "accounts": 0, "files": 0} for seq, (bid, code) in enumerate(buildings)])
    build.chunks_total = build.buildings_total = len(buildings)
    session.commit()
    Path(build.directory).mkdir(parents=True, exist_ok=True)
    if not buildings:
        finish_build(build.id)
        session.expire_all()
        build = session.get(InvoiceBuild, build.id)
    return build


def _buildings(session, building_id: int | None) -> list[tuple[int, str]]:
    """(id, code) of the buildings with accounts (one of them), by code: the delivery order."""
    has_accounts = exists(select(Account.id).join(Premise, Account.premise_id == Premise.id)
                          .where(Premise.building_id == Building.id))
    stmt = select(Building.id, Building.code).where(has_accounts).order_by(Building.code)
    if building_id is not None:
        stmt = stmt.where(Building.id == building_id)
    return [tuple(row) for row in session.execute(stmt)]


def _latest_of_scope(session, period, account_id, building_id, target) -> InvoiceBuild | None:
    stmt = select(InvoiceBuild).where(InvoiceBuild.period == period)
    stmt = stmt.where(InvoiceBuild.account_id == account_id if account_id else InvoiceBuild.account_id.is_(None))
    if account_id is None:
        stmt = stmt.where(InvoiceBuild.building_id == building_id if building_id
                          else InvoiceBuild.building_id.is_(None))
    if target is not None:
        stmt = stmt.where(InvoiceBuild.directory == target)
    else:
        stmt = stmt.where(InvoiceBuild.directory.like(str(builds_root() / period) + os.sep + "%"))
    return session.scalar(stmt.order_by(InvoiceBuild.id.desc()).limit(1))


def _resume(session, build: InvoiceBuild, period: str) -> InvoiceBuild:
    build_id = build.id
    try:
        resumed = session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build_id,
                                                             InvoiceBuild.status == "failed")
                                  .values(status="running", message=None, finished_at=None,
                                          heartbeat_at=now())).rowcount
        session.execute(update(InvoiceChunk).where(InvoiceChunk.build_id == build_id,
                                                   InvoiceChunk.finished_at.is_(None)).values(attempts=0))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise BuildBusy(busy_message(running_build(session, period), period)) from None
    if not resumed:
        session.rollback()
        raise BuildBusy(busy_message(running_build(session, period), period))
    session.expire_all()
    build = session.get(InvoiceBuild, build_id)
    Path(build.directory).mkdir(parents=True, exist_ok=True)
    if build.chunks_done >= build.chunks_total:
        finish_build(build_id)
    return build


def pending(build_id: int) -> list[int]:
    """The buildings of a build not finished yet, in delivery order."""
    return list(db.session.scalars(select(InvoiceChunk.building_id).where(
        InvoiceChunk.build_id == build_id, InvoiceChunk.finished_at.is_(None)).order_by(InvoiceChunk.seq)))


# --- a chunk ------------------------------------------------------------------------------------

def keep_alive(build_id: int, building_id: int) -> Heartbeat:
    """The heartbeat of a chunk while it is built; not alive once its build is no longer
    running (swept, failed) or the chunk was finished by another attempt."""
    running = exists(select(InvoiceBuild.id).where(InvoiceBuild.id == build_id, InvoiceBuild.status == "running"))

    def statement():
        return (update(InvoiceChunk).where(InvoiceChunk.build_id == build_id, InvoiceChunk.building_id == building_id,
                                           InvoiceChunk.finished_at.is_(None), running)
                .values(heartbeat_at=now()))

    return Heartbeat(db.engine, statement)


def build_chunk(build_id: int, building_id: int) -> dict:
    """Build the invoices of one building of a build and add it to the progress; the last
    chunk finishes the build. Returns the chunk's counts ({"skipped": True}: nothing to do)."""
    session = db.session
    build = session.get(InvoiceBuild, build_id, populate_existing=True)
    if build is None or build.status != "running":
        return {"skipped": True}
    period, directory, account_id = build.period, build.directory, build.account_id
    taken = _take(session, build_id, building_id)
    if taken is None:
        return {"skipped": True}
    attempts, code = taken
    if attempts > MAX_ATTEMPTS:
        fail_build(build_id, _("The build stopped: building %(code)s was taken up %(count)s times and never "
                               "finished (its process was killed each time).", code=code, count=attempts - 1))
        return {"failed": True}
    try:
        with keep_alive(build_id, building_id) as beat:
            if not beat.alive:
                return {"skipped": True}
            written = _write_building(session, period, Path(directory), account_id, building_id, code, beat)
            if written is None:
                return {"skipped": True}
            return _progress(session, build_id, building_id, *written)
    except Exception as error:  # the buildings done so far stay; the build is marked failed
        session.rollback()
        log.exception("invoice build %s failed on building %s", build_id, building_id)
        fail_build(build_id, _("The build stopped with an error: %(error)s", error=_short(error)),
                   traceback.format_exc())
        raise


def _take(session, build_id: int, building_id: int):
    """(attempts including this one, building code) of a chunk not finished yet, else None."""
    where = (InvoiceChunk.build_id == build_id, InvoiceChunk.building_id == building_id)
    taken = session.execute(update(InvoiceChunk).where(*where, InvoiceChunk.finished_at.is_(None))
                            .values(attempts=InvoiceChunk.attempts + 1, heartbeat_at=now())).rowcount
    row = session.execute(select(InvoiceChunk.attempts, InvoiceChunk.building_code).where(*where)).first() \
        if taken else None
    session.commit()
    return tuple(row) if row else None


def _write_building(session, period, directory: Path, account_id, building_id, code, beat):
    """Write the building's files; (accounts, files), or None when the build was swept meanwhile."""
    invoices = load_invoices(session, period, account_ids=[account_id] if account_id else None,
                             building_ids=[building_id])
    session.commit()  # nothing held while the files are written
    if not beat.beat():
        return None
    folder = directory / building_folder(code, building_id)
    folder.mkdir(parents=True, exist_ok=True)
    written = set()
    for invoice in invoices:
        name = safe_name(file_name(invoice))
        _write_atomic(folder / name, invoice_pdf(invoice))
        written.add(name)
        if not beat.beat():
            return None
    if account_id is None and invoices:
        name = combined_name(code, period)
        _write_atomic(folder / name, combined_pdf(invoices))
        written.add(name)
    # a build of one account leaves the other accounts' files of the folder alone
    _tidy(folder, None if account_id else written)
    return len(invoices), len(written)


def _progress(session, build_id: int, building_id: int, accounts: int, files: int) -> dict:
    """Mark the chunk finished and count it into the build, in one transaction; nothing when
    another attempt did it first."""
    moment = now()
    marked = session.execute(update(InvoiceChunk).where(
        InvoiceChunk.build_id == build_id, InvoiceChunk.building_id == building_id,
        InvoiceChunk.finished_at.is_(None)).values(finished_at=moment, heartbeat_at=moment, accounts=accounts,
                                                   files=files)).rowcount
    if marked != 1:
        session.rollback()
        return {"skipped": True}
    # The build's row locked before the finished chunks are counted: two chunks finishing at once
    # (two workers, PostgreSQL's read committed) would each count only itself and the second
    # would write back the smaller count — a build stuck below its total (seen in CI). Under
    # the lock the count is taken after the other chunk's commit and sees its mark.
    session.execute(select(InvoiceBuild.id).where(InvoiceBuild.id == build_id).with_for_update())
    finished = select(func.count(), func.coalesce(func.sum(InvoiceChunk.accounts), 0),
                      func.coalesce(func.sum(InvoiceChunk.files), 0)).where(
        InvoiceChunk.build_id == build_id, InvoiceChunk.finished_at.is_not(None))
    done, total_accounts, total_files = session.execute(finished).one()
    session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build_id).values(
        chunks_done=done, buildings_done=done, accounts=total_accounts, files=total_files, heartbeat_at=moment))
    session.commit()
    finish_build(build_id)
    return {"accounts": accounts, "files": files}


def finish_build(build_id: int) -> None:
    """``running`` → ``done`` once every chunk is finished."""
    session = db.session
    session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build_id, InvoiceBuild.status == "running",
                                               InvoiceBuild.chunks_done >= InvoiceBuild.chunks_total)
                    .values(status="done", finished_at=now()))
    session.commit()


def fail_build(build_id: int, message: str, details: str | None = None) -> None:
    """``running`` → ``failed`` with ``message`` (for everyone) and ``details`` (for the admin)."""
    session = db.session
    session.rollback()
    session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build_id, InvoiceBuild.status == "running")
                    .values(status="failed", finished_at=now(),
                            message=message + (TRACEBACK_MARK + details.rstrip() if details else "")))
    session.commit()


def failure(build: InvoiceBuild) -> tuple[str, str]:
    """(message, traceback) of a build."""
    message, _mark, details = (build.message or "").partition(TRACEBACK_MARK)
    return message, details


def _short(error) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:300]


def _silent(cutoff):
    """Running builds with no sign of life since ``cutoff``: neither the build nor any chunk."""
    lively = exists(select(InvoiceChunk.build_id).where(InvoiceChunk.build_id == InvoiceBuild.id,
                                                        InvoiceChunk.heartbeat_at >= cutoff))
    return and_(InvoiceBuild.status == "running",
                or_(InvoiceBuild.heartbeat_at.is_(None), InvoiceBuild.heartbeat_at < cutoff), ~lively)


def last_sign_of_life(session, build_id: int):
    chunk = session.scalar(select(func.max(InvoiceChunk.heartbeat_at)).where(InvoiceChunk.build_id == build_id))
    own = session.scalar(select(InvoiceBuild.heartbeat_at).where(InvoiceBuild.id == build_id))
    return max([m for m in (chunk, own) if m is not None], default=None)


def is_silent(session, build: InvoiceBuild) -> bool:
    """A running build whose processes gave no sign of life for :func:`stale`."""
    if build.status != "running":
        return False
    seen = last_sign_of_life(session, build.id)
    return seen is None or seen < now() - stale()


def sweep_orphans(period: str | None = None) -> list[int]:
    """Builds whose processes died (silent for :func:`stale`), marked failed — started again,
    they build only their unfinished buildings. Beat's ``oblik.sweep`` calls it, and every
    start of a build. Returns the ids of the builds marked failed."""
    session = db.session
    cutoff = now() - stale()
    stmt = select(InvoiceBuild.id).where(_silent(cutoff))
    if period is not None:
        stmt = stmt.where(InvoiceBuild.period == period)
    failed = []
    for build_id in session.scalars(stmt).all():
        seen = last_sign_of_life(session, build_id)
        message = _("The process of this build stopped: no sign of life since %(at)s. Start the build again: only "
                    "the buildings not finished will be built.", at=local_moment(seen).strftime("%d.%m.%Y %H:%M:%S") if seen else "—")
        if session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build_id, _silent(cutoff))
                           .values(status="failed", finished_at=now(), message=message)).rowcount:
            failed.append(build_id)
    session.commit()
    for build_id in failed:
        log.warning("invoice build %s swept: its process stopped", build_id)
    return failed


# --- building here (the command line) -----------------------------------------------------------

def build_now(period: str, directory, *, account_number=None, building_code=None, user=None, jobs: int = 1,
              progress=None) -> InvoiceBuild:
    """Build now, in this process or ``jobs`` processes; ``progress(done, total)`` after each
    building. Returns the build as it ended."""
    build = start_build(period, account_number=account_number, building_code=building_code, directory=directory,
                        user=user)
    build_id = build.id
    todo = pending(build_id)
    total, done = build.chunks_total, build.chunks_done
    if todo and jobs > 1 and len(todo) > 1:
        _in_pool(build_id, todo, jobs, lambda: progress(_done(build_id), total) if progress else None)
    else:
        for building_id in todo:
            build_chunk(build_id, building_id)
            done += 1
            if progress:
                progress(done, total)
    finish_build(build_id)
    db.session.expire_all()
    return db.session.get(InvoiceBuild, build_id)


def _done(build_id: int) -> int:
    db.session.expire_all()
    return db.session.get(InvoiceBuild, build_id).chunks_done


def _in_pool(build_id: int, todo: list[int], jobs: int, tick) -> None:
    import multiprocessing

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    instance = current_app.instance_path
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_worker_start, initargs=(uri, instance)) as pool:
        try:
            for _result in pool.imap_unordered(_worker_chunk, [(build_id, b) for b in todo]):
                tick()
        except Exception:
            pool.terminate()
            raise


_worker_app = None


def _worker_start(uri: str, instance: str) -> None:
    global _worker_app
    from ... import create_app

    os.environ.setdefault("OBLIK_CELERY_EAGER", "1")
    _worker_app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    _worker_app.instance_path = instance


def _worker_chunk(args) -> dict:
    build_id, building_id = args
    with _worker_app.app_context():
        try:
            return build_chunk(build_id, building_id)
        finally:
            db.session.remove()


# --- the screen ---------------------------------------------------------------------------------

def latest_build(period: str) -> InvoiceBuild | None:
    """The latest build of a period made for the screen (under the instance directory)."""
    return db.session.scalar(select(InvoiceBuild).where(
        InvoiceBuild.period == period, InvoiceBuild.directory.like(str(builds_root() / period) + os.sep + "%"))
        .order_by(InvoiceBuild.id.desc()).limit(1))


def chunks_page(build_id: int, page: int, size: int):
    """(chunks, more) of a build in delivery order."""
    rows = list(db.session.scalars(select(InvoiceChunk).where(InvoiceChunk.build_id == build_id)
                                   .order_by(InvoiceChunk.seq).offset(page * size).limit(size + 1)))
    return rows[:size], len(rows) > size


def _inside(build: InvoiceBuild, path: Path) -> Path | None:
    """``path`` if it is a file inside the build's directory (no way out of it), else None."""
    root = Path(build.directory).resolve()
    try:
        resolved = path.resolve()
        resolved.relative_to(root)
    except (OSError, ValueError):
        return None
    return resolved if resolved.is_file() else None


def building_file(build: InvoiceBuild, building_id: int) -> Path | None:
    """The combined PDF of a finished building of the build."""
    chunk = db.session.get(InvoiceChunk, (build.id, building_id))
    if chunk is None or chunk.finished_at is None:
        return None
    folder = Path(build.directory) / building_folder(chunk.building_code, building_id)
    return _inside(build, folder / combined_name(chunk.building_code, build.period))


def account_file(build: InvoiceBuild, account_id: int) -> Path | None:
    """The PDF of one account of the build, once its building is finished."""
    session = db.session
    building_id = session.scalar(select(Premise.building_id).join(Account, Account.premise_id == Premise.id)
                                 .where(Account.id == account_id))
    chunk = session.get(InvoiceChunk, (build.id, building_id)) if building_id is not None else None
    if chunk is None or chunk.finished_at is None:
        return None
    if build.account_id is not None and build.account_id != account_id:
        return None
    invoices = load_invoices(session, build.period, account_ids=[account_id])
    if not invoices:
        return None
    folder = Path(build.directory) / building_folder(chunk.building_code, building_id)
    return _inside(build, folder / safe_name(file_name(invoices[0])))


def preview(period: str, account_id: int):
    """(invoice, PDF bytes) of one account for the screen; :class:`BuildError` when there is none."""
    session = db.session
    period_status(session, period)
    invoices = load_invoices(session, period, account_ids=[account_id])
    if not invoices:
        raise BuildError(_("The account has no invoice for %(period)s.", period=period))
    return invoices[0], invoice_pdf(invoices[0])


def default_period() -> str | None:
    """The open period, else the last closed one."""
    session = db.session
    return (session.scalar(select(Period.period).where(Period.status == "open"))
            or session.scalar(select(Period.period).order_by(Period.period.desc()).limit(1)))
