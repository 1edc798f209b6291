"""Імпорт: every registry and every monthly file of formats.md — atomic, idempotent, checked by
the same validators as the forms, recorded with its report.

Modules, in the order a file goes through them:

* :mod:`.files` — bytes → rows (CSV/XLSX, encodings, delimiters, hostile files refused);
* :mod:`.values` — cells → values (decimal commas, ``дд.мм.рррр``, XLSX cells);
* :mod:`.kinds` — the seventeen kinds: columns, keys, references;
* :mod:`.headers` — the column headers of every kind: the codes and the Ukrainian headers;
* :mod:`.refs`, :mod:`.facts` — what a file refers to and what its rows are checked
  against, loaded for the whole file at once;
* :mod:`.engine` — check every row (and count the control totals), then write all of them or
  none — or, for a payment register on the user's choice, the valid ones;
* :mod:`.records` — the ``ImportRecord`` of each import: preview, commit, cancel, progress;
* :mod:`.template` — the XLSX and CSV templates of a kind.

Entry points: :func:`import_file` (the command line), :func:`import_bytes` (tests, scripts),
and ``records.check_record`` / ``records.commit_record`` (the UI and its Celery tasks).
"""
import getpass
import os

from flask_babel import gettext as _

from .actors import Actor, actor_for  # noqa: F401
from .engine import Outcome  # noqa: F401
from .errors import FileRefused, ImportNotAllowed, Problem  # noqa: F401
from .kinds import KIND_NAMES, KINDS  # noqa: F401
from . import records

EXIT_WRITTEN, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


def import_bytes(kind: str, data: bytes, file_name: str = "file.csv", *, actor: Actor | None = None,
                 dry_run: bool = False, channel: str = "cli") -> tuple:
    """Import ``data`` as a file of ``kind`` (recorded). Returns (record id, Outcome or
    FileRefused)."""
    actor = actor or Actor.system(_system_user())
    records.check_kind(kind, actor)
    record = records.create_record(actor, kind, file_name, data, channel=channel, dry_run=dry_run,
                                   keep_content=False)
    return record.id, records.run(record.id, data, actor, write=not dry_run)


def summary(outcome: Outcome) -> str:
    return _("Rows: %(total)s; created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, "
             "rejected: %(rejected)s", total=outcome.total, created=outcome.created, updated=outcome.updated,
             unchanged=outcome.unchanged, rejected=outcome.rejected)


def import_file(kind: str, path: str, dry_run: bool, out, err) -> int:
    """``oblik import KIND FILE [--dry-run]``: 0 written (or, dry run, all rows valid),
    1 rows rejected (one line per problem on ``err``), 2 unreadable file or missing key column."""
    if kind not in KINDS:
        err(_("Unknown kind of import «%(kind)s»; one of: %(kinds)s", kind=kind, kinds=", ".join(KINDS)))
        return EXIT_UNREADABLE
    try:
        with open(path, "rb") as handle:
            data = handle.read(records.limits().max_bytes + 1)
    except OSError as e:
        err(_("Cannot read the file %(path)s: %(error)s", path=path, error=e.strerror or str(e)))
        return EXIT_UNREADABLE
    actor = Actor.system(_system_user())
    record = records.create_record(actor, kind, os.path.basename(path), data, channel="cli", dry_run=dry_run,
                                   keep_content=False)
    result = records.run(record.id, data, actor, write=not dry_run, progress=False)
    if isinstance(result, FileRefused):
        err(_("The file is refused: %(reason)s", reason=result.message))
        return EXIT_UNREADABLE
    for warning in result.warnings:
        err(_("Warning: %(warning)s", warning=warning))
    if result.rejected:
        for problem in result.problems:
            err(problem.line())
        if result.problems_total > len(result.problems):
            err(_("… and %(count)s more problems", count=result.problems_total - len(result.problems)))
        err(summary(result))
        err(_("Nothing was written (import no. %(id)s).", id=record.id))
        return EXIT_REJECTED
    out(summary(result))
    out(_("Checked only (--dry-run): nothing was written (import no. %(id)s).", id=record.id) if dry_run
        else _("Written (import no. %(id)s).", id=record.id))
    return EXIT_WRITTEN


def _system_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "cli"
