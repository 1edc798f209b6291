"""Reports built in the background (:class:`~app.models.ReportRun`): the screen records a run
(queued) and the Celery task :func:`app.tasks.reports.build_report_run` calls :func:`execute`,
which builds the report into a file under ``instance/reports/`` — a JSON line of the report's
heading and columns, then a JSON line per row — and marks the run done. The screen pages the
stored file (:func:`stored_report`), and downloads are written from it.

A second delivery of the task finds the run done (or running with a live heartbeat) and does
nothing; a run whose process died goes silent and :func:`sweep_orphans` marks it failed. A run no
worker has taken for :func:`~app.services.heartbeat.stale` (no worker running, or the broker lost
its message) is failed alike — by the sweep, and at once when the user asks for the same report
again (:func:`unclaimed`), so that a queue nobody reads never blocks a rebuild."""
from __future__ import annotations

import json
import logging
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from ...extensions import db
from ...models import ReportRun
from ..heartbeat import Heartbeat, now, stale
from ..language import current_language
from . import Column, Report, ReportError, build, kinds, parse_filters

log = logging.getLogger(__name__)
BEAT_ROWS = 2000  # a multiple of PAGE
PAGE = 50  # rows of a page of the screen's table


def directory() -> Path:
    path = Path(current_app.instance_path) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


LANGUAGE = "_lang"  # the reader's language among a run's filters: the worker builds the report in it


def _with_language(args: dict) -> dict:
    return {**args, LANGUAGE: current_language()}


def start_run(kind: str, args: dict, building_ids=None, user: str | None = None) -> ReportRun:
    args = _with_language(args)
    run = ReportRun(kind=kind, filters=json.dumps(args, ensure_ascii=False),
                    scope=json.dumps(list(building_ids)) if building_ids is not None else None,
                    username=user, status="queued", progress=0, created_at=now())
    db.session.add(run)
    db.session.commit()
    return run


def find_run(kind: str, args: dict, building_ids, user) -> ReportRun | None:
    """The latest run of the same report by the same user (the screen shows it instead of a new one)."""
    from sqlalchemy import select

    scope = json.dumps(list(building_ids)) if building_ids is not None else None
    args = _with_language(args)
    stmt = (select(ReportRun).where(ReportRun.kind == kind, ReportRun.username == user,
                                    ReportRun.filters == json.dumps(args, ensure_ascii=False))
            .order_by(ReportRun.id.desc()).limit(1))
    run = db.session.scalar(stmt)
    if run is not None and run.scope != scope:
        return None
    return run


NOT_TAKEN = _l("The background worker has not taken this report: check that it is running, and build the report again.")


def unclaimed(run: ReportRun | None) -> ReportRun | None:
    """``run``, failed first if it is queued and no worker took it within :func:`stale` (the same
    rule as a billing run's chunks). Atomic: a worker that claims it meanwhile keeps it."""
    if run is None or run.status != "queued" or run.created_at is None or run.created_at >= now() - stale():
        return run
    session = db.session
    session.execute(update(ReportRun).where(ReportRun.id == run.id, ReportRun.status == "queued")
                    .values(status="failed", finished_at=now(), error=str(NOT_TAKEN)))
    session.commit()
    session.refresh(run)
    return run


def _cell(value):
    """A cell the row encoder cannot write itself: a Decimal as its exact digits (read back as the
    very same Decimal), a date in ISO form."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a report cell of type {type(value).__name__}")


# One encoder for every row of a run: json.dumps with options builds a new one per call.
_ROW = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_cell).encode


def _row_decoder(columns):
    """A stored line (bytes or text) → the row's tuple, each cell decoded by its column's kind."""
    decoders = [_decoder(c.kind) for c in columns]
    return lambda line: tuple(d(v) for d, v in zip(decoders, json.loads(line)))


def _decoder(kind: str):
    if kind in ("money", "price", "quantity", "percent"):
        return lambda v: None if v is None else Decimal(v)
    if kind == "date":
        return lambda v: None if v is None else date.fromisoformat(v)
    return lambda v: v


def _beat_statement(run_id: int):
    return lambda: (update(ReportRun).where(ReportRun.id == run_id, ReportRun.status == "running")
                    .values(heartbeat_at=now()))


def execute(run_id: int) -> str:
    """Build the run's report into its file. Returns the run's status after it."""
    session = db.session
    claimed = session.execute(update(ReportRun).where(ReportRun.id == run_id, ReportRun.status == "queued")
                              .values(status="running", started_at=now(), heartbeat_at=now(), progress=5)).rowcount
    session.commit()
    run = session.get(ReportRun, run_id)
    if run is None or not claimed:  # done, failed, or being built by a live process: nothing twice
        return run.status if run is not None else "missing"
    path = directory() / f"report-{run_id}.jsonl"
    for left in path.parent.glob(f"report-{run_id}.*"):  # another database's run of the same id
        left.unlink(missing_ok=True)                       # left its rows, index, order or XLSX
    try:
        spec = kinds().get(run.kind)
        if spec is None:
            raise ReportError(_("Unknown report %(kind)s; available: %(kinds)s", kind=run.kind,
                                kinds=", ".join(sorted(kinds()))))
        scope = json.loads(run.scope) if run.scope else None
        args = json.loads(run.filters or "{}")
        lang = args.pop(LANGUAGE, None)
        filters = parse_filters(spec, args, session, scope)
        with Heartbeat(db.engine, _beat_statement(run_id)) as heart, _language(lang):
            report = build(run.kind, filters, session)
            count = 0
            temporary = path.with_suffix(".part")
            from .writers import Totals

            totals, offsets = Totals(report), []
            with open(temporary, "wb") as stream:
                head = {"kind": report.kind, "title": str(report.title), "period": report.period,
                        "subtitle": str(report.subtitle or ""), "notes": [str(n) for n in report.notes],
                        "chart": report.chart,
                        "totals": report.totals or None,
                        "columns": [{"code": c.code, "title": str(c.title), "kind": c.kind, "total": c.total,
                                     "machine": c.machine, "width": c.width, "people": c.people, "explained": c.explained,
                                     "labels": [[code, str(label)] for code, label in c.labels]}
                                    for c in report.columns]}
                stream.write((json.dumps(head, ensure_ascii=False, default=_cell) + "\n").encode())
                lines = []

                def write_page():  # a page of the screen's table at a time, its place in the file noted
                    nonlocal count
                    offsets.append(stream.tell())
                    stream.write(("\n".join(lines) + "\n").encode())
                    count += len(lines)
                    lines.clear()

                add = totals.add if totals.index else None
                for row in report.rows:
                    lines.append(_ROW(row))
                    if add is not None:
                        add(row)
                    if len(lines) == PAGE:
                        write_page()
                        if count % BEAT_ROWS == 0:
                            heart.beat()
                if lines:
                    write_page()
            index = {"page": PAGE, "rows": count, "offsets": offsets, "totals": totals.row()}
            pages_path(path).write_text(_ROW(index), encoding="utf-8")
            os.replace(temporary, path)
        session.execute(update(ReportRun).where(ReportRun.id == run_id)
                        .values(status="done", progress=100, rows=count, finished_at=now(), file_path=str(path)))
        session.commit()
        _remove_superseded(run_id)
        with _language(lang):  # the table is on the screen; now the files that take long
            _prepare_files(run_id)
        return "done"
    except Exception as error:  # a ReportError (bad filters) or anything else: the run says why
        session.rollback()
        message = str(error) if isinstance(error, ReportError) else _("The report could not be built: %(error)s",
                                                                         error=type(error).__name__)
        session.execute(update(ReportRun).where(ReportRun.id == run_id)
                        .values(status="failed", finished_at=now(), error=message))
        session.commit()
        if not isinstance(error, ReportError):
            log.exception("report run %s failed", run_id)
        return "failed"


# The files the worker writes beside a done run's rows: the people's XLSX of a whole town's charge
# lines takes a minute (written cell by cell) — longer than a web request may last. Smaller
# runs' files are written on the download, from the stored rows, as before.
PREPARED = ("xlsx",)
PREPARED_ROWS = 20_000   # a run with more rows gets its files from the worker
PREPARE_WAIT_SECONDS = 15 * 60  # after that, a file still missing is written on the download


def prepared_path(run: ReportRun, fmt: str) -> Path:
    return Path(run.file_path).with_suffix("." + fmt)


def _prepare_files(run_id: int) -> None:
    """Write the run's :data:`PREPARED` files (each through a ``.part`` renamed when complete); a
    failure leaves the download to write the file itself."""
    from . import writers

    run = db.session.get(ReportRun, run_id)
    if run is None or run.status != "done" or (run.rows or 0) <= PREPARED_ROWS:
        return
    for fmt in PREPARED:
        target = prepared_path(run, fmt)
        temporary = target.with_name(target.name + ".part")
        try:
            with open(temporary, "wb") as stream:
                writers.write(stored_report(run), fmt, stream)
            os.replace(temporary, target)
        except Exception:  # noqa: BLE001 - the rows are there; the download writes the file
            log.exception("report run %s: the %s file could not be written", run_id, fmt)
            temporary.unlink(missing_ok=True)


def prepared_file(run: ReportRun, fmt: str) -> tuple[Path | None, bool]:
    """(the file the worker wrote, or None; whether it is still being written)."""
    if fmt not in PREPARED or not run.file_path:
        return None, False
    path = prepared_path(run, fmt)
    if path.exists():
        return path, False
    if (run.rows or 0) <= PREPARED_ROWS or run.finished_at is None:
        return None, False
    return None, (now() - run.finished_at).total_seconds() < PREPARE_WAIT_SECONDS


def _language(lang: str | None):
    """The report's titles, labels and explanations in the language of the user who asked for it."""
    from contextlib import nullcontext

    from flask import current_app, has_app_context
    from flask_babel import force_locale

    if not lang or not has_app_context() or lang not in current_app.config.get("LANGUAGES", {}):
        return nullcontext()
    return force_locale(lang)


def _remove_superseded(run_id: int) -> None:
    """Remove the files of the same user's earlier runs of the same report (kind, filters and
    scope): the screen shows only the latest (:func:`find_run`), and a whole town's charge lines
    take 300 MB with their XLSX — «Побудувати знову» every day would fill the disk. The runs stay
    listed; their downloads answer 404."""
    from sqlalchemy import select

    session = db.session
    run = session.get(ReportRun, run_id)
    same = (ReportRun.kind == run.kind, ReportRun.username == run.username, ReportRun.filters == run.filters,
            ReportRun.scope.is_(None) if run.scope is None else ReportRun.scope == run.scope)
    older = list(session.scalars(select(ReportRun.id).where(*same, ReportRun.id < run_id,
                                                            ReportRun.file_path.is_not(None))))
    if not older:
        return
    folder = directory()
    for old in older:
        for path in folder.glob(f"report-{old}.*"):
            path.unlink(missing_ok=True)
    session.execute(update(ReportRun).where(ReportRun.id.in_(older)).values(file_path=None))
    session.commit()


def stored_report(run: ReportRun) -> Report:
    """The report of a done run, read back from its file (rows as a generator); FileNotFoundError
    when its files were removed (a later run of the same report replaced it)."""
    if not run.file_path:
        raise FileNotFoundError(f"report run {run.id}: its files were removed")
    path = Path(run.file_path)
    with open(path, encoding="utf-8") as stream:
        head = json.loads(stream.readline())
    columns = [Column(c["code"], c["title"], c["kind"], c["total"], c["machine"], c["width"],
                      tuple(tuple(p) for p in c.get("labels") or ()), c.get("people", True),
                      c.get("explained", False))
               for c in head["columns"]]
    by_code = {c.code: _decoder(c.kind) for c in columns}
    decoded = _row_decoder(columns)

    def rows():
        with open(path, encoding="utf-8") as stream:
            stream.readline()
            for line in stream:
                yield decoded(line)

    totals = ({k: by_code.get(k, lambda v: v)(v) for k, v in head["totals"].items()}
              if head.get("totals") else None)
    return Report(head["kind"], head["title"], head["period"], columns, rows(), subtitle=head["subtitle"],
                  totals=totals, chart=head.get("chart"), notes=head.get("notes") or [])


def pages_path(path: Path) -> Path:
    """A run's page index beside its rows: where each page of :data:`PAGE` rows starts in the
    file, and the totals row of all of them (written by :func:`execute`)."""
    return path.with_suffix(".pages.json")


def _page_index(run: ReportRun, report: Report):
    """(the run's page index, its totals row decoded), or None for a run stored before the index
    existed (or with pages of another size)."""
    try:
        index = json.loads(pages_path(Path(run.file_path)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if index.get("page") != PAGE:
        return None
    stored_totals = index.get("totals")
    totals = None if stored_totals is None else [_decoder(c.kind)(v) for c, v in zip(report.columns, stored_totals)]
    return index, totals


def stored_page(run: ReportRun, report: Report, page: int):
    """(the rows of page ``page`` (from 1), the totals row, the number of rows) of a done run,
    read from its page index without reading the other rows — a whole town's charge lines are
    750,000 rows; None for a run stored before the index existed (the caller reads them all)."""
    found = _page_index(run, report)
    if found is None:
        return None
    index, totals = found
    decoded = _row_decoder(report.columns)
    offsets = index["offsets"]
    rows = []
    if 1 <= page <= len(offsets):
        with open(run.file_path, "rb") as stream:
            stream.seek(offsets[page - 1])
            for _row in range(PAGE):
                line = stream.readline()
                if not line:
                    break
                rows.append(decoded(line))
    return rows, totals, index["rows"]


def sorted_page(run: ReportRun, report: Report, code: str, descending: bool, order, page: int):
    """:func:`stored_page` of the table sorted by column ``code``: ``order(rows)`` is the screen's
    sort. The first page asked for reads every row with its place in the file, sorts them and
    keeps the order beside the run (``report-N.sort-CODE-asc|desc.bin``: the places, 8 bytes
    each); every later page of the same order reads only its rows from their places. None for a
    run stored before the page index existed."""
    from array import array

    found = _page_index(run, report)
    if found is None:
        return None
    index, totals = found
    path = Path(run.file_path)
    cache = path.with_name(f"{path.stem}.sort-{code}-{'desc' if descending else 'asc'}.bin")
    decoded = _row_decoder(report.columns)

    if not cache.exists():
        rows = []
        with open(path, "rb") as stream:
            at = len(stream.readline())
            for line in stream:
                rows.append((*decoded(line), at))
                at += len(line)
        places = array("q", (row[-1] for row in order(rows)))
        temporary = cache.with_name(cache.name + ".part")
        temporary.write_bytes(places.tobytes())
        os.replace(temporary, cache)
    places = array("q")
    with open(cache, "rb") as stream:
        stream.seek(max(page - 1, 0) * PAGE * places.itemsize)
        places.frombytes(stream.read(PAGE * places.itemsize) if page >= 1 else b"")
    rows = []
    with open(path, "rb") as stream:
        for place in places:
            stream.seek(place)
            rows.append(decoded(stream.readline()))
    return rows, totals, index["rows"]


def sweep_orphans() -> list[int]:
    """Runs whose process died (running, heartbeat silent for :func:`stale`) and runs no worker took
    (queued for as long): marked failed."""
    session = db.session
    cutoff = now() - stale()
    silent = (ReportRun.status == "running",
              or_(ReportRun.heartbeat_at.is_(None), ReportRun.heartbeat_at < cutoff))
    from sqlalchemy import select

    waiting = (ReportRun.status == "queued", ReportRun.created_at < cutoff)
    failed = []
    for condition, message in ((silent, _("The process building this report stopped. Build it again.")),
                               (waiting, str(NOT_TAKEN))):
        for run_id in list(session.scalars(select(ReportRun.id).where(*condition))):
            if session.execute(update(ReportRun).where(ReportRun.id == run_id, *condition).values(
                    status="failed", finished_at=now(), error=message)).rowcount:
                failed.append(run_id)
    session.commit()
    return failed
