"""«Відомості списання»: the list (filters: status, reason, year; XLSX), the card with its lines
(paged; add, edit, remove in a draft, an account picker that searches the server 20 rows at a
time), «Сформувати з кандидатів», approve and cancel (POST with CSRF), the print form (PDF) and the
history of changes. Thin: every rule is :mod:`app.services.write_offs`.

Rights (``app/security.py``, resource ``WriteOff``): accountants and the admin approve and cancel;
operators draft (create, fill, edit, delete a draft); inspectors have no access."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..billing.periods import parse_date
from ..extensions import current_appbuilder, db
from ..models import Service
from ..models.write_offs import WRITE_OFF_REASONS, WRITE_OFF_STATUSES
from ..services import write_offs as service
from ..services.write_offs import WriteOffRefused
from .csrf import check_csrf
from .files import send_bytes, send_document
from .scope import request_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = 50
LIST_PAGE = 50


def _username():
    user = request_user()
    return user.username if user else None


def _int(value, default=0, low=0, high=10**9):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def _day(name, label):
    text = (request.form.get(name) or "").strip()
    if not text:
        raise WriteOffRefused(_("%(field)s: enter the date", field=label))
    try:
        return parse_date(text)
    except ValueError:
        raise WriteOffRefused(_("%(field)s: «%(value)s» is not a date (DD.MM.YYYY)", field=label, value=text[:20])) \
            from None


def _history(write_off_id: int, line_ids) -> list[dict]:
    """The card's «Історія змін»: the statement's and its shown lines' (one query)."""
    from ..models.choices import AUDIT_ACTIONS, AUDIT_SOURCES
    from ..security import may_see_personal_data
    from ..services import audit
    from .audit import changes_html
    from .formatting import format_date

    personal = may_see_personal_data()
    targets = [("write_off", write_off_id)] + [("write_off_line", i) for i in line_ids]
    return [{"record": _("Statement") if e.table_name == "write_off" else _("Line %(id)s", id=e.record_id),
             "at": format_date(e.at), "username": e.username or "", "source": AUDIT_SOURCES.label(e.source),
             "action": AUDIT_ACTIONS.label(e.action), "changes": changes_html(e.table_name, e.changes, personal)}
            for e in audit.history(db.session, targets)]


class WriteOffView(BaseView):
    route_base = "/writeoffs"
    class_permission_name = "WriteOff"
    method_permission_name = {
        "index": "list", "xlsx": "list", "show": "show", "pdf": "show",
        "create": "add", "from_candidates": "add",
        "header": "edit", "line_add": "edit", "line_edit": "edit", "line_remove": "edit",
        "delete": "delete", "approve": "approve", "cancel": "cancel",
    }
    default_view = "index"

    def _filters(self):
        status = request.args.get("status", "")
        reason = request.args.get("reason", "")
        return {"status": status if status in WRITE_OFF_STATUSES.codes else "",
                "reason": reason if reason in WRITE_OFF_REASONS.codes else "",
                "year": _int(request.args.get("year"), 0, 1900, 2999) or ""}

    @expose("/")
    @has_access
    def index(self):
        filters = self._filters()
        page = _int(request.args.get("page"), 0, 0, 10**6)
        stmt = service.list_query(status=filters["status"] or None, reason=filters["reason"] or None,
                                  year=filters["year"] or None)
        rows = db.session.execute(stmt.offset(page * LIST_PAGE).limit(LIST_PAGE + 1)).all()
        session = db.session
        day = date.today()
        sm = current_appbuilder().sm
        return self.render_template(
            "oblik/write_offs.html", rows=rows[:LIST_PAGE], more=len(rows) > LIST_PAGE, page=page, filters=filters,
            reasons=WRITE_OFF_REASONS, statuses=WRITE_OFF_STATUSES, csrf_token=generate_csrf(), today=day,
            months=service.limitation_months(session, day), may_add=sm.has_access("can_add", "WriteOff"))

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        from ..services.documents.write_off import list_xlsx

        filters = self._filters()
        stmt = service.list_query(status=filters["status"] or None, reason=filters["reason"] or None,
                                  year=filters["year"] or None)
        rows = db.session.execute(stmt.limit(10000)).all()
        return send_bytes(list_xlsx(rows), "vidomosti-spysannia.xlsx", mimetype=XLSX, attachment=True)

    def _get(self, pk):
        wo = service.get(db.session, pk)
        if wo is None:
            abort(404)
        return wo

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        wo = self._get(pk)
        session = db.session
        page = _int(request.args.get("page"), 0, 0, 10**6)
        count, total = service.totals(session, wo.id)
        lines = service.lines_page(session, wo.id, page, PAGE)
        sm = current_appbuilder().sm
        draft = wo.status == "draft"
        return self.render_template(
            "oblik/write_off.html", wo=wo, lines=lines, page=page, pages=max(1, -(-count // PAGE)), count=count,
            total=total, first=page * PAGE, reasons=WRITE_OFF_REASONS, statuses=WRITE_OFF_STATUSES,
            services=session.execute(select(Service.id, Service.name).order_by(Service.name).limit(200)).all(),
            csrf_token=generate_csrf(), history=_history(wo.id, [line.id for line in lines]),
            may_edit=draft and sm.has_access("can_edit", "WriteOff"),
            may_delete=draft and sm.has_access("can_delete", "WriteOff"),
            may_approve=draft and sm.has_access("can_approve", "WriteOff"),
            may_cancel=wo.status != "cancelled" and sm.has_access("can_cancel", "WriteOff"))

    @expose("/<int:pk>/pdf")
    @has_access
    def pdf(self, pk):
        from ..services.documents.write_off import file_name, statement_pdf

        return send_document(service.get(db.session, pk), lambda wo: statement_pdf(db.session, wo),
                             lambda wo: file_name(wo, "pdf"), attachment=True)

    def _do(self, action, success, back):
        """Run ``action`` (a service call); commit or roll back; flash; redirect to ``back``."""
        try:
            result = action()
            db.session.commit()
        except WriteOffRefused as refused:
            db.session.rollback()
            flash(str(refused), "danger")
            return redirect(back)
        flash(success(result) if callable(success) else success, "success")
        return redirect(back if not isinstance(result, service.WriteOff) else url_for("WriteOffView.show",
                                                                                       pk=result.id))

    @expose("/create", methods=["POST"])
    @has_access
    def create(self):
        check_csrf()

        def action():
            return service.start(db.session, doc_date=_day("doc_date", _("Date")),
                                 reason=request.form.get("reason", ""), note=request.form.get("note"),
                                 user=_username())

        return self._do(action, lambda wo: _("Statement %(number)s drafted", number=wo.number),
                        url_for("WriteOffView.index"))

    @expose("/candidates", methods=["POST"])
    @has_access
    def from_candidates(self):
        check_csrf()

        def action():
            day = _day("doc_date", _("Date"))
            return service.form_from_candidates(db.session, doc_date=day, user=_username(),
                                                note=request.form.get("note"))

        return self._do(action, lambda wo: _("Statement %(number)s formed from the candidates", number=wo.number),
                        url_for("WriteOffView.index"))

    @expose("/<int:pk>/header", methods=["POST"])
    @has_access
    def header(self, pk):
        check_csrf()
        wo = self._get(pk)

        def action():
            service.edit_header(db.session, wo, doc_date=_day("doc_date", _("Date")),
                                reason=request.form.get("reason", ""), note=request.form.get("note"))

        return self._do(action, _("Saved"), url_for("WriteOffView.show", pk=pk))

    @expose("/<int:pk>/lines/add", methods=["POST"])
    @has_access
    def line_add(self, pk):
        check_csrf()
        wo = self._get(pk)

        def action():
            service.add_line(db.session, wo, _int(request.form.get("account_id"), None, 1),
                             _int(request.form.get("service_id"), None, 1), request.form.get("amount", ""),
                             request.form.get("note"))

        return self._do(action, _("Line added"), url_for("WriteOffView.show", pk=pk))

    @expose("/<int:pk>/lines/<int:line_id>/edit", methods=["POST"])
    @has_access
    def line_edit(self, pk, line_id):
        check_csrf()
        wo = self._get(pk)
        back = url_for("WriteOffView.show", pk=pk, page=_int(request.form.get("page"), 0))

        def action():
            service.edit_line(db.session, wo, line_id, request.form.get("amount", ""), request.form.get("note"))

        return self._do(action, _("Line saved"), back)

    @expose("/<int:pk>/lines/<int:line_id>/remove", methods=["POST"])
    @has_access
    def line_remove(self, pk, line_id):
        check_csrf()
        wo = self._get(pk)
        back = url_for("WriteOffView.show", pk=pk, page=_int(request.form.get("page"), 0))
        return self._do(lambda: service.remove_line(db.session, wo, line_id), _("Line removed"), back)

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk):
        check_csrf()
        wo = self._get(pk)
        number = wo.number
        return self._do(lambda: service.delete_draft(db.session, wo),
                        _("Draft %(number)s deleted", number=number), url_for("WriteOffView.index"))

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk):
        check_csrf()
        wo = self._get(pk)
        number = wo.number
        return self._do(lambda: service.approve(db.session, pk, _username()),
                        lambda n: _("Statement %(number)s approved: %(entries)s write-off entries posted",
                                    number=number, entries=n), url_for("WriteOffView.show", pk=pk))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk):
        check_csrf()
        wo = self._get(pk)
        number = wo.number
        return self._do(lambda: service.cancel(db.session, pk, request.form.get("reason", ""), _username()),
                        lambda n: _("Statement %(number)s cancelled: %(entries)s reversal entries posted",
                                    number=number, entries=n), url_for("WriteOffView.show", pk=pk))


VIEWS = [(WriteOffView, "WriteOff", _l("Write-off statements"), "fa-file-signature")]
HIDDEN_VIEWS = []
APIS = []
