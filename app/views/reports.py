"""«Звіти» (issue 11): one generic screen for every report kind of :mod:`app.services.reports` —
the kind's filters, the table sorted by a header click and paged by 50, the totals row, the notes,
the downloads (the machine CSV, the XLSX, the CSV for Excel and the kind's own files) and, for the
kinds built in the background, a run of the Celery task with its progress bar.

Who may: ``WorkLists`` / ``can_list`` opens the screen (accountants, operators, inspectors, the
admin); a report that is not a work list needs ``Reports`` / ``can_list`` too, and an inspector
gets the work lists only, for their own buildings (``building_ids`` given to the framework), never
a report with money. A background run is seen by the user who started it and the admin only."""
from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import Period, ReportRun, Service
from ..models.reports import REPORT_RUN_STATUSES
from ..security import is_inspector, role_of
from ..services.reports.runs import PAGE  # rows of a page of the table: the runs' page index has as many
from .csrf import check_csrf
from .formatting import format_date, format_decimal, format_money, format_price
from .scope import allowed_building_ids

FILE_FORMATS = ("csv", "xlsx", "csv-uk")
RUN_STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Being built"), "done": _l("Done"),
                     "failed": _l("Failed")}
assert set(RUN_STATUS_LABELS) == set(REPORT_RUN_STATUSES)


# -- who may see what ---------------------------------------------------------------------------

def _username() -> str | None:
    return getattr(current_user, "username", None)


def _admin() -> bool:
    return role_of(current_user) == "admin"


def may_open(kind) -> bool:
    """An inspector: the work lists only; others: the work lists with ``WorkLists``, every other
    report with ``Reports``."""
    if is_inspector(current_user):
        return kind.work_list and not kind.money
    sm = current_appbuilder().sm
    return bool(sm.has_access("can_list", "WorkLists" if kind.work_list else "Reports"))


def _kind_or_abort(code: str):
    from ..services.reports import kinds

    kind = kinds().get(code)
    if kind is None:
        abort(404)
    if not may_open(kind):
        abort(403)
    return kind


def _scope():
    return allowed_building_ids(db.session)


# -- formatting the table -----------------------------------------------------------------------

NUMERIC = ("money", "price", "quantity", "percent", "int")


def format_cell(column, value) -> str:
    if value is None:
        return ""
    if column.kind == "money":
        return format_money(value)
    if column.kind == "price":
        return format_price(value)
    if column.kind in ("quantity", "percent"):
        return format_decimal(value) if isinstance(value, Decimal) else str(value)
    if column.kind == "date" or isinstance(value, date):
        return format_date(value)
    shown = column.shown(value)
    if isinstance(shown, Decimal):
        return format_decimal(shown)
    return "" if shown is None else str(shown)


def sort_rows(rows: list, index: int, descending: bool, shown=None) -> list:
    """Stable, empty values last in both directions; a code column by the label people see
    (``shown``: the column's ``shower()``), case-insensitively."""
    present = [r for r in rows if r[index] is not None and r[index] != ""]
    empty = [r for r in rows if r[index] is None or r[index] == ""]
    if shown is not None:
        present.sort(key=lambda r: str(shown(r[index])).casefold(), reverse=descending)
        return present + empty
    try:
        present.sort(key=lambda r: r[index], reverse=descending)
    except TypeError:  # mixed kinds in one column: as texts
        present.sort(key=lambda r: str(r[index]), reverse=descending)
    return present + empty


def _page_number(args, count: int) -> tuple[int, int]:
    """(the page asked for, within 1 … pages; the number of pages)."""
    pages = max(1, -(-count // PAGE))
    try:
        page = int(args.get("page", "1") or 1)
    except ValueError:
        page = 1
    return min(max(page, 1), pages), pages


def _sort_of(report, args) -> tuple[str, bool]:
    codes = [report.columns[i].code for i in report.people_index]
    sort = args.get("sort", "")
    return (sort if sort in codes else ""), args.get("dir", "") == "desc"


def _sorter(report, sort: str, descending: bool):
    """``rows → rows`` in the order of column ``sort`` (a code column by the label people see)."""
    index = next(i for i in report.people_index if report.columns[i].code == sort)
    column = report.columns[index]
    shown = column.shower() if column.labels or column.explained else None
    return lambda rows: sort_rows(rows, index, descending, shown)


def table(report, args, stored=None) -> dict:
    """The page of the table the screen shows: sorted, paged, with the totals of every row.
    ``stored`` (:func:`app.services.reports.runs.stored_page` or ``sorted_page`` of a run, for
    the page and the order asked for): the page and the totals without reading every row."""
    from ..services.reports.writers import Totals

    keep = report.people_index
    columns = [report.columns[i] for i in keep]
    sort, descending = _sort_of(report, args)
    if stored is not None:  # the stored run's page, in the order asked for
        shown, last, count = stored
        page, pages = _page_number(args, count)
    else:
        rows = list(report.rows)
        if sort:
            rows = _sorter(report, sort, descending)(rows)
        totals = Totals(report)
        for row in rows:
            totals.add(row)
        last = totals.row()
        count = len(rows)
        page, pages = _page_number(args, count)
        shown = rows[(page - 1) * PAGE: page * PAGE]
    return {
        "columns": [{"code": c.code, "title": str(c.title), "numeric": c.kind in NUMERIC} for c in columns],
        "rows": [[format_cell(report.columns[i], row[i]) for i in keep] for row in shown],
        "totals": ([format_cell(report.columns[i], last[i]) if not isinstance(last[i], str) else last[i] for i in keep]
                   if last is not None and count else None),
        "count": count, "page": page, "pages": pages, "sort": sort, "dir": "desc" if descending else "asc",
        "first": (page - 1) * PAGE + 1 if count else 0, "last_row": (page - 1) * PAGE + len(shown),
    }


def page_links(page: int, pages: int) -> list:
    """Page numbers around the current one, with the first and the last (None: a gap)."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links, previous = [], 0
    for number in wanted:
        if number - previous > 1:
            links.append(None)
        links.append(number)
        previous = number
    return links


# -- background runs ----------------------------------------------------------------------------

def run_view(run: ReportRun | None) -> dict | None:
    if run is None:
        return None
    active = run.status in ("queued", "running")
    return {"id": run.id, "status": run.status, "status_label": str(RUN_STATUS_LABELS.get(run.status, run.status)),
            "percent": 100 if run.status == "done" else int(run.progress or 0),
            "rows": run.rows if run.rows is not None else "", "message": run.error or "",
            "started_by": run.username or "", "created_at": format_date(run.created_at),
            "finished_at": format_date(run.finished_at), "active": active}


def _run_or_abort(run_id: int) -> ReportRun:
    run = db.session.get(ReportRun, run_id)
    if run is None:
        abort(404)
    if run.username != _username() and not _admin():
        abort(403)
    from ..services.reports import kinds

    kind = kinds().get(run.kind)
    if kind is None or not may_open(kind):
        abort(403)
    return run


# a row per account: the whole town is 100,000 rows — built in the background; for one building or
# one account the screen builds it at once
BY_ACCOUNT = ("turnover", "debtors")


def in_background(kind, args) -> bool:
    """The kinds marked ``background``; and the reports with a row per account over the whole town."""
    if kind.background:
        return True
    return kind.kind in BY_ACCOUNT and not (args.get("building") or args.get("account"))


# -- the files ------------------------------------------------------------------------------------

def _file(kind, fmt: str, report=None, filters=None):
    """(bytes, mimetype, file name) of a download: the common formats from the report, the kind's
    own (``kind.writers``) from its filters."""
    from ..services.reports import writers

    if fmt in FILE_FORMATS:
        body = writers.render(report, fmt)
        name = report.file_name + ("-excel" if fmt == "csv-uk" else "") + "." + writers.extension(fmt)
        mimetype = writers.mimetype(fmt)
        if fmt != "xlsx":
            mimetype = "text/csv; charset=utf-8"
        return body, mimetype, name
    buffer = io.BytesIO()
    kind.writers[fmt](db.session, filters, buffer)
    period = filters.period or ""
    return buffer.getvalue(), writers.mimetype(fmt), f"{kind.kind}-{period}.{writers.extension(fmt)}"


def _send(body, mimetype, name):
    from urllib.parse import quote

    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={quote(name)}; filename*=UTF-8''{quote(name)}"})


def downloads(kind) -> list[tuple[str, str]]:
    from ..services.reports.writers import format_label

    return [(fmt, format_label(fmt)) for fmt in (*FILE_FORMATS, *kind.writers)]


# -- the screen -----------------------------------------------------------------------------------

def _form(kind, args, scope) -> dict:
    """What the filter form offers: the periods, the services, the kind's own filters."""
    from ..services.periods import current_period

    session = db.session
    form = {"periods": [], "services": [], "own": [], "values": {}}
    if "period" in kind.filters:
        form["periods"] = list(session.scalars(select(Period.period).order_by(Period.period.desc()).limit(240)))
        typed = args.get("period", "")
        if typed and typed not in form["periods"]:
            form["periods"].insert(0, typed)  # what the user typed stays (and is shown wrong)
        form["values"]["period"] = typed or (current_period() or "")
    if "service" in kind.filters:
        form["services"] = session.execute(select(Service.code, Service.name).order_by(Service.code).limit(500)).all()
    for name in ("date_from", "date_to", "building", "service", "account"):
        form["values"].setdefault(name, args.get(name, ""))
    for own in kind.own_filters:
        value = args.get(own.name, "")
        if value == "" and own.default is not None and own.type == "choice":
            value = str(own.default)
        form["own"].append({"name": own.name, "label": str(own.label), "type": own.type, "value": value,
                            "choices": [(str(v), str(label)) for v, label in own.choices],
                            "optional": own.default is None})
    return form


def _args() -> dict:
    return {name: request.args.get(name, "")[:200] for name in request.args}


class ReportsView(BaseView):
    """«Звіти»: the list of reports and the screen of each."""

    route_base = "/reports"
    class_permission_name = "WorkLists"
    method_permission_name = {"index": "list", "report": "list", "download": "list", "start": "list",
                              "progress": "list", "run_download": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        from ..services.reports import kinds

        shown = [k for k in kinds().values() if may_open(k)]
        groups = [(_("Reports"), [k for k in shown if not k.work_list]),
                  (_("Work lists"), [k for k in shown if k.work_list])]
        return self.render_template("oblik/reports.html", groups=[g for g in groups if g[1]])

    @expose("/<kind>/")
    @has_access
    def report(self, kind):
        from ..services.reports import ReportError, build, filter_args, parse_filters
        from ..services.reports.runs import find_run, sorted_page, stored_page, stored_report, unclaimed

        spec = _kind_or_abort(kind)
        args = _args()
        scope = _scope()
        context = {"kind": spec, "form": _form(spec, args, scope), "errors": {}, "error": None, "report": None,
                   "table": None, "run": None, "background": in_background(spec, args), "downloads": downloads(spec),
                   "query": filter_args(spec, args), "csrf_token": generate_csrf(), "page_links": page_links,
                   "file_formats": FILE_FORMATS}
        current = {k: args[k] for k in ("sort", "dir", "page") if args.get(k)}

        def link(**changes):
            merged = {**context["query"], **current, **changes}
            return url_for("ReportsView.report", kind=spec.kind, **{k: v for k, v in merged.items() if v is not None})

        context["link"] = link
        try:
            filters = parse_filters(spec, args, db.session, scope)
            if filters.period and "period" in spec.filters:  # the open period, once chosen, stays in links and runs
                context["query"].setdefault("period", filters.period)
            if not context["background"]:
                report = build(spec.kind, filters)
                context.update(report=report, table=table(report, args))
        except ReportError as error:
            if error.field:
                context["errors"][error.field] = str(error)
            else:
                context["error"] = str(error)
            # the form again with the message under its field (200, as a model form's errors)
            return self.render_template("oblik/report.html", **context)
        if context["background"]:
            run = unclaimed(find_run(spec.kind, context["query"], scope, _username()))
            context["run"] = run_view(run)
            if run is not None and run.status == "done":
                try:
                    report = stored_report(run)
                except OSError:
                    context["run"]["status"] = "failed"
                    context["run"]["message"] = _("The stored report is gone: build it again.")
                else:
                    page = _page_number(args, run.rows or 0)[0]
                    sort, descending = _sort_of(report, args)
                    if sort:
                        stored = sorted_page(run, report, sort, descending, _sorter(report, sort, descending), page)
                    else:
                        stored = stored_page(run, report, page)
                    context.update(report=report, table=table(report, args, stored))
        return self.render_template("oblik/report.html", **context)

    @expose("/<kind>/download/<fmt>")
    @has_access
    def download(self, kind, fmt):
        from ..services.reports import ReportError, build, parse_filters

        spec = _kind_or_abort(kind)
        if fmt not in FILE_FORMATS and fmt not in spec.writers:
            abort(404)
        try:
            filters = parse_filters(spec, _args(), db.session, _scope())
            report = build(spec.kind, filters) if fmt in FILE_FORMATS else None
            return _send(*_file(spec, fmt, report, filters))
        except ReportError as error:
            flash(str(error), "danger")
            return redirect(url_for("ReportsView.report", kind=spec.kind, **_args()))

    @expose("/<kind>/run", methods=["POST"])
    @has_access
    def start(self, kind):
        from ..services.reports import ReportError, filter_args, parse_filters
        from ..tasks.reports import start_report_run

        check_csrf()
        spec = _kind_or_abort(kind)
        args = {name: request.form.get(name, "")[:200] for name in request.form if name != "csrf_token"}
        query = filter_args(spec, args)
        scope = _scope()
        if not in_background(spec, query):
            return redirect(url_for("ReportsView.report", kind=spec.kind, **query))
        try:
            filters = parse_filters(spec, args, db.session, scope)
            if filters.period and "period" in spec.filters:
                query.setdefault("period", filters.period)
        except ReportError as error:
            flash(str(error), "danger")
            return redirect(url_for("ReportsView.report", kind=spec.kind, **query))
        run = start_report_run(spec.kind, query, scope, _username())
        if run.status == "failed":
            flash(run.error or _("The report could not be built."), "danger")
        elif run.status != "done":
            flash(_("The report is being built."), "info")
        return redirect(url_for("ReportsView.report", kind=spec.kind, **query))

    @expose("/run/<int:run_id>")
    @has_access
    def progress(self, run_id):
        from ..services.reports.runs import unclaimed

        view = run_view(unclaimed(_run_or_abort(run_id)))
        # oblik.js polls while the status is «running»: a queued run is waiting to run
        view["status"] = "running" if view["active"] else view["status"]
        return jsonify(view)

    @expose("/run/<int:run_id>/download/<fmt>")
    @has_access
    def run_download(self, run_id, fmt):
        from ..services.reports import kinds
        from ..services.reports.runs import prepared_file, stored_report

        run = _run_or_abort(run_id)
        spec = kinds()[run.kind]
        if fmt not in FILE_FORMATS or run.status != "done":
            abort(404)
        path, preparing = prepared_file(run, fmt)
        if path is not None:  # written by the worker beside the rows
            from ..services.reports import writers

            return send_file(path, mimetype=writers.mimetype(fmt), as_attachment=True,
                             download_name=f"{Path(run.file_path).stem}.{writers.extension(fmt)}", max_age=0)
        if preparing:
            flash(_("The file is being written in the background (a whole town's lines take about a minute): "
                    "download it again in a moment."), "info")
            args = {k: v for k, v in json.loads(run.filters or "{}").items() if not k.startswith("_")}
            return redirect(url_for("ReportsView.report", kind=run.kind, **args))
        try:
            report = stored_report(run)
        except OSError:
            abort(404)
        return _send(*_file(spec, fmt, report))


VIEWS = [(ReportsView, "WorkLists", _l("All reports"), "fa-chart-bar")]
HIDDEN_VIEWS = []
APIS = []
