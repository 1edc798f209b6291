"""Імпорт: choose a kind, download its template, upload a file, look at the preview (counts,
the first rows as stored, every rejected row), then write it or cancel; the history of
imports with their reports. Large files are checked and written by a Celery task while the
page shows a progress bar (it may be left and opened again from the history).

Thin: the work is ``app.services.imports``; this module only speaks HTTP.
"""
import logging
from datetime import date
from decimal import Decimal

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import db
from ..models import ImportRecord
from ..models.imports import IMPORT_RUNNING, IMPORT_STATUSES
from ..services.imports import KINDS, FileRefused, ImportNotAllowed, actor_for, records
from ..services.imports.template import build_csv_template, build_template, column_format
from ..services.spreadsheets import CSV_MIME, XLSX_MIME
from .formatting import format_amount, format_count, format_date
from ..security import is_inspector
from ..tasks import imports as tasks
from .csrf import check_csrf

log = logging.getLogger(__name__)
HISTORY_PAGE = 30
PROBLEMS_SHOWN = 1000


def _actor():
    return actor_for(db.session, current_user)


def _importable(actor):
    return [kind for kind in KINDS.values() if actor.may(kind.resource, "can_add")]


def _visible_records():
    stmt = select(ImportRecord)
    if is_inspector(current_user):
        stmt = stmt.where(ImportRecord.user_id == current_user.id)
    return stmt


def _record_or_404(record_id):
    record = db.session.scalar(_visible_records().where(ImportRecord.id == record_id))
    if record is None:
        abort(404)
    return record


def _own_record_or_404(record_id):
    """A record the current user may commit or cancel: only its uploader may."""
    record = _record_or_404(record_id)
    if record.user_id != current_user.id:
        abort(403)
    return record


def _process(task, work, record_id, size):
    """Check or write a file: a large one on a Celery worker (the page shows the progress),
    a small one here and now."""
    if size > int(records.setting("OBLIK_IMPORT_ASYNC_BYTES", 1_000_000)):
        _dispatch(task, record_id, work)
    else:
        work(record_id, progress=False)


def _dispatch(task, record_id, fallback):
    """Run ``task`` on a Celery worker; with no broker reachable, run it here and now."""
    try:
        result = task.delay(record_id)
    except Exception:  # the broker is down: the user should not lose the upload
        log.exception("Celery is unreachable; import %s runs in the web process", record_id)
        flash(_("The background worker is unreachable: the file was processed while you waited"), "warning")
        fallback(record_id, progress=False)
        return
    db.session.execute(ImportRecord.__table__.update().where(ImportRecord.id == record_id)
                       .values(task_id=str(result.id)[:50]))
    db.session.commit()


def _too_large(error):
    limit = min(records.limits().max_bytes, current_app.config.get("MAX_CONTENT_LENGTH") or records.limits().max_bytes)
    flash(_("The file is too large: at most %(limit)s MB", limit=limit // (1024 * 1024)), "danger")
    return redirect(url_for("ImportView.index"))


class ImportView(BaseView):
    route_base = "/imports"
    class_permission_name = "Import"
    method_permission_name = {
        "index": "list", "template": "list", "show": "show", "progress": "show", "report": "show",
        "rejected_rows": "show",
        "upload": "add", "commit": "add", "cancel": "add",
    }
    default_view = "index"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        # An upload over the request limit (OBLIK_MAX_UPLOAD_MB) is refused before any view
        # runs (the CSRF check reads the form): answer with the form and a clear message.
        blueprint.register_error_handler(RequestEntityTooLarge, _too_large)
        return blueprint

    @expose("/")
    @has_access
    def index(self):
        actor = _actor()
        try:
            page = max(0, int(request.args.get("page", "0")))
        except ValueError:
            page = 0
        history = list(db.session.scalars(_visible_records().order_by(ImportRecord.id.desc())
                                          .offset(page * HISTORY_PAGE).limit(HISTORY_PAGE + 1)))
        return self.render_template(
            "oblik/imports/index.html", kinds=_importable(actor), history=history[:HISTORY_PAGE],
            more=len(history) > HISTORY_PAGE, page=page, statuses=IMPORT_STATUSES, all_kinds=KINDS,
            chosen=request.args.get("kind", ""), csrf_token=generate_csrf(), column_format=column_format,
            max_mb=records.limits().max_bytes // (1024 * 1024))

    @expose("/template/<kind>")
    @has_access
    def template(self, kind):
        spec = KINDS.get(kind)
        if spec is None or spec not in _importable(_actor()):
            abort(404)
        if request.args.get("format") == "csv":  # for Ukrainian Excel: «;», UTF-8 with a BOM
            return Response(build_csv_template(spec), mimetype=CSV_MIME,
                            headers={"Content-Disposition": f"attachment; filename=oblik-{kind}.csv"})
        return Response(build_template(spec), mimetype=XLSX_MIME,
                        headers={"Content-Disposition": f"attachment; filename=oblik-{kind}.xlsx"})

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        try:
            check_csrf()
            kind = request.form.get("kind", "")
            upload = request.files.get("file")
        except RequestEntityTooLarge as error:
            return _too_large(error)
        actor = _actor()
        try:
            records.check_kind(kind, actor)
        except (FileRefused, ImportNotAllowed) as e:
            flash(str(e), "danger")
            return redirect(url_for("ImportView.index"))
        if upload is None or not upload.filename:
            flash(_("Choose a file to import"), "danger")
            return redirect(url_for("ImportView.index", kind=kind))
        limit = records.limits().max_bytes
        data = upload.stream.read(limit + 1)
        record = records.create_record(actor, kind, upload.filename, data, channel="web")
        _process(tasks.check_import, records.check_record, record.id, len(data))
        return redirect(url_for("ImportView.show", record_id=record.id))

    @expose("/<int:record_id>")
    @has_access
    def show(self, record_id):
        record = _record_or_404(record_id)
        problems = record.problems or []
        return self.render_template(
            "oblik/imports/show.html", record=record, kind=KINDS.get(record.kind), statuses=IMPORT_STATUSES,
            running=record.status in IMPORT_RUNNING, problems=problems[:PROBLEMS_SHOWN],
            problems_hidden=max(0, len(problems) - PROBLEMS_SHOWN), sample=record.sample or [],
            previous=records.previous_import(record), csrf_token=generate_csrf(), totals=control_totals(record),
            may_commit=record.status == "ready" and record.user_id == current_user.id,
            may_write_valid=records.may_write_valid_rows(record) and record.user_id == current_user.id,
            may_cancel=record.status in ("uploaded", "ready") and record.user_id == current_user.id)

    @expose("/<int:record_id>/progress")
    @has_access
    def progress(self, record_id):
        record = _record_or_404(record_id)
        total = record.progress_total or 0
        done = min(record.progress_done or 0, total) if total else 0
        return jsonify(status=record.status, status_label=str(IMPORT_STATUSES.label(record.status)),
                       running=record.status in IMPORT_RUNNING, done=done, total=total,
                       percent=int(100 * done / total) if total else 0)

    @expose("/<int:record_id>/commit", methods=["POST"])
    @has_access
    def commit(self, record_id):
        check_csrf()
        record = _own_record_or_404(record_id)
        # «записати коректні рядки»: a payment register's valid rows, the rejected ones kept as a file
        valid_only = request.form.get("mode") == "valid"
        claimed = records.claim_partial_commit(record_id) if valid_only else records.claim_commit(record_id)
        if not claimed:
            flash(_("This import cannot be written now (status: %(status)s)",
                    status=IMPORT_STATUSES.label(record.status)), "warning")
            return redirect(url_for("ImportView.show", record_id=record_id))
        _process(tasks.commit_import, records.commit_record, record_id, record.file_size)
        record = db.session.get(ImportRecord, record_id)
        db.session.refresh(record)
        if record.status == "committed" and record.partial:
            flash(_("Written the valid rows: %(created)s created, %(unchanged)s unchanged; %(rejected)s rejected "
                    "rows are in the file to fix and import again",
                    created=record.created, unchanged=record.unchanged, rejected=record.rejected), "success")
        elif record.status == "committed":
            flash(_("Written: %(created)s created, %(updated)s updated, %(unchanged)s unchanged",
                    created=record.created, updated=record.updated, unchanged=record.unchanged), "success")
        elif record.status in ("rejected", "failed"):
            flash(_("Nothing was written: the data changed since the preview, see the report"), "danger")
        return redirect(url_for("ImportView.show", record_id=record_id))

    @expose("/<int:record_id>/cancel", methods=["POST"])
    @has_access
    def cancel(self, record_id):
        check_csrf()
        _own_record_or_404(record_id)
        if records.cancel_record(record_id):
            flash(_("The import was cancelled: nothing was written"), "info")
        return redirect(url_for("ImportView.show", record_id=record_id))

    @expose("/<int:record_id>/report.csv")
    @has_access
    def report(self, record_id):
        record = _record_or_404(record_id)
        return Response(records.problem_report(record), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=oblik-import-{record_id}-report.csv"})


    @expose("/<int:record_id>/rejected")
    @has_access
    def rejected_rows(self, record_id):
        """The rejected rows of a partial write, in the format uploaded, with their reasons."""
        record = db.session.scalar(_visible_records().where(ImportRecord.id == record_id)
                                   .options(undefer(ImportRecord.rejected_file)))
        if record is None or not record.rejected_file:
            abort(404)
        xlsx = record.rejected_file.startswith(b"PK")
        stem = f"oblik-import-{record_id}-rejected"
        return Response(record.rejected_file, mimetype=XLSX_MIME if xlsx else CSV_MIME,
                        headers={"Content-Disposition": f"attachment; filename={stem}.{'xlsx' if xlsx else 'csv'}"})


def control_totals(record: ImportRecord) -> list:
    """The control totals of the preview, formatted the Ukrainian way: [(id, label, value)] —
    the rows, the sum of the amounts, the dates (or months) from … to …; with rows rejected,
    the same for the valid rows."""
    totals = record.totals
    if not totals:
        return []
    shown = [("rows", _("Rows in the file"), format_count(totals["rows"]))]
    if "amount" in totals:
        amount = format_amount(Decimal(totals["amount"])) + " " + _("UAH")
        if totals.get("amount_unread"):
            amount += " " + _("(%(count)s rows without a readable amount not counted)", count=totals["amount_unread"])
        shown.append(("amount", _("Sum of the amounts"), amount))
    if totals.get("dated"):
        first, last = totals.get("date_from"), totals.get("date_to")
        if totals["dated"] == "date" and first:
            first, last = format_date(date.fromisoformat(first)), format_date(date.fromisoformat(last))
        label = _("Months") if totals["dated"] == "period" else _("Dates")
        shown.append(("dates", label, f"{first} – {last}" if first and first != last else (first or "—")))
    if record.rejected and "valid_rows" in totals:
        valid = format_count(totals["valid_rows"])
        if "valid_amount" in totals:
            valid = _("%(rows)s, for %(amount)s UAH", rows=valid, amount=format_amount(Decimal(totals["valid_amount"])))
        shown.append(("valid", _("Valid rows"), valid))
    return shown


VIEWS = [(ImportView, "Import", _l("Import"), "fa-file-import")]
HIDDEN_VIEWS = []
APIS = []
