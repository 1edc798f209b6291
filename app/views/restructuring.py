"""Документи: penalty exemptions and debt restructuring agreements (issue 10 items 4–5).

Thin: the life of an agreement, its schedule and its payments are the service's
(:mod:`app.services.restructuring`); its print form is :mod:`app.services.documents.restructuring`.
Operators draft agreements; accountants (and the admin) approve, terminate and cancel them and
keep the exemptions; inspectors see none of it."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from ..billing.periods import parse_date
from ..extensions import current_appbuilder, db
from ..models import PenaltyExemption, RestructuringAgreement
from ..models.restructuring import RESTRUCTURING_MODES, RESTRUCTURING_STATUSES
from ..services import restructuring as service
from .base import OblikModelView
from .csrf import check_csrf
from .files import send_document
from .labels import LABELS
from .scope import request_user

PAGE = 50
STATUS_LABELS = {"paid": _l("paid"), "partly": _l("partly paid"), "missed": _l("missed"), "upcoming": _l("upcoming")}


def _username():
    user = request_user()
    return user.username if user is not None else None


class PenaltyExemptionView(OblikModelView):
    """Звільнення від пені: the accounts on which no penalty runs, and when."""

    datamodel = SQLAInterface(PenaltyExemption)
    class_permission_name = "PenaltyExemption"
    label_columns = {**LABELS, "reason": _l("Reason")}
    list_title = _l("Penalty exemptions")
    show_title = add_title = edit_title = _l("Penalty exemption")
    list_columns = ["account", "date_from", "date_to", "reason"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["account", "date_from", "date_to", "reason"]
    order_columns = ["date_from", "date_to"]
    base_order = ("date_from", "desc")


class RestructuringAgreementView(OblikModelView):
    """Договори реструктуризації боргу: saved as drafts (the debt read from the ledger and the
    schedule computed on each save, shown on the card), approved, terminated or cancelled."""

    datamodel = SQLAInterface(RestructuringAgreement)
    class_permission_name = "RestructuringAgreement"
    method_permission_name = {**OblikModelView.method_permission_name, "approve": "approve",
                              "terminate": "approve", "cancel": "approve", "pdf": "show"}
    label_columns = {**LABELS, "number": _l("Number"), "agreement_date": _l("Agreement date"),
                     "debt_date": _l("Debt at date"), "amount": _l("Restructured debt, UAH"),
                     "mode": _l("Split"), "instalments": _l("Number of instalments"),
                     "instalment_amount": _l("Instalment amount, UAH"), "first_due": _l("First instalment due"),
                     "terminated_on": _l("Terminated on"), "reason": _l("Reason"), "created_by": _l("Created by"),
                     "approved_by": _l("Approved by"), "approved_at": _l("Approved at")}
    list_title = _l("Restructuring agreements")
    show_title = add_title = edit_title = _l("Restructuring agreement")
    list_columns = ["number", "agreement_date", "account", "amount", "first_due", "status"]
    add_columns = edit_columns = ["agreement_date", "account", "debt_date", "mode", "instalments",
                                  "instalment_amount", "first_due"]
    show_columns = ["number", "agreement_date", "account", "debt_date", "amount", "mode", "instalments",
                    "instalment_amount", "first_due", "status", "terminated_on", "reason", "created_by",
                    "approved_by", "approved_at"]
    search_columns = ["number", "account", "agreement_date", "status"]
    order_columns = ["number", "agreement_date", "first_due", "status"]
    base_order = ("agreement_date", "desc")
    choice_columns = {"mode": RESTRUCTURING_MODES, "status": RESTRUCTURING_STATUSES}
    show_template = "oblik/restructuring_show.html"
    description_columns = {
        "debt_date": _l("The account's whole debt at the end of this day is restructured (read from the journal "
                        "when the draft is saved)"),
        "instalments": _l("For a split by count"),
        "instalment_amount": _l("For a split by amount: the last instalment takes what is left"),
    }

    def pre_add(self, item):
        service.save_draft(db.session, item, _username())

    def pre_update(self, item):
        service.save_draft(db.session, item, _username())

    def pre_delete(self, item):
        service.refuse_delete(item)

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        state = service.states(db.session, [item], date.today()).get(item.id) \
            if item.status in service.HOLDING else None
        sm = current_appbuilder().sm
        widgets["agreement"] = {
            "item": item, "state": state,
            "rows": state.instalments if state else [
                service.inst.Matched(i.seq, i.due_date, i.amount, service.ZERO, "upcoming") for i in item.schedule],
            "statuses": STATUS_LABELS, "csrf_token": generate_csrf(),
            "may_approve": sm.has_access("can_approve", "RestructuringAgreement"),
            "today": date.today().isoformat(),
        }
        return widgets

    def _change(self, pk, do, done: str):
        check_csrf()
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        try:
            do(item)
            db.session.commit()
        except ValueError as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            flash(done % {"number": item.number}, "success")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        return self._change(pk, lambda item: service.approve(db.session, item, _username()),
                            _("Agreement %(number)s approved"))

    @expose("/terminate/<int:pk>", methods=["POST"])
    @has_access
    def terminate(self, pk):
        def do(item):
            try:
                day = parse_date(request.form.get("terminated_on", "")) if request.form.get("terminated_on") else None
            except ValueError:
                raise service.RestructuringRefused(_("Terminated on: not a date")) from None
            service.terminate(db.session, item, day, request.form.get("reason", ""))

        return self._change(pk, do, _("Agreement %(number)s terminated: the rest of the debt is due"))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self._change(pk, lambda item: service.cancel(db.session, item, request.form.get("reason", "")),
                            _("Agreement %(number)s cancelled"))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        from ..services.documents.restructuring import agreement_pdf, file_name

        return send_document(self.datamodel.get(pk, self._base_filters),
                             lambda item: agreement_pdf(db.session, item), file_name)


class MissedInstalmentsView(BaseView):
    """«Прострочені платежі за реструктуризацією»: approved agreements behind their schedule."""

    route_base = "/restructuring-missed"
    class_permission_name = "MissedInstalments"
    method_permission_name = {"index": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        try:
            page = max(0, int(request.args.get("page", "0")))
        except ValueError:
            page = 0
        rows, count = service.missed_instalments(db.session, date.today(), page * PAGE, PAGE)
        return self.render_template("oblik/restructuring_missed.html", rows=rows, count=count, page=page,
                                    more=(page + 1) * PAGE < count, today=date.today())


VIEWS = [
    (RestructuringAgreementView, "RestructuringAgreement", _l("Restructuring agreements"), "fa-handshake"),
    (MissedInstalmentsView, "MissedInstalments", _l("Missed restructuring payments"), "fa-exclamation-triangle"),
    (PenaltyExemptionView, "PenaltyExemption", _l("Penalty exemptions"), "fa-user-shield"),
]
HIDDEN_VIEWS = []
APIS = []
