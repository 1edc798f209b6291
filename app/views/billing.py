"""Розрахунок: the billing screen (period, Run, progress, warnings, recalculations, Close,
reports), the journal with its filters, claim acts with approval, and area changes.

Thin: every action calls a service (:mod:`app.services.billing`: runs and the close,
``reports``, ``claim_acts``) or the Celery task of a run (:mod:`app.tasks.billing`); what a
claim act or an area change must satisfy is its validator's (:mod:`app.validation.rules`)."""
from datetime import date

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import expose as api_expose, permission_name, protect, safe
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterSmaller
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..validation import FieldError
from ..services import ledger
from ..models import (
    Account, AreaChange, BillingLock, BillingRun, Building, ClaimAct,
    ClaimActTarget, JournalEntry, Period, Service,
)
from ..models.billing import CLAIM_KINDS, CLAIM_STATUSES, CLAIM_VISITS, LINE_KINDS, RUN_STATUSES
from ..models.choices import JOURNAL_KINDS
from ..security import role_of
from ..services.claim_acts import (
    ClaimActRefused, add_targets, approve, cancel, fill_deadline, refuse_coverage_change, refuse_delete,
    start_draft,
)
from .back import next_url, referrer_path
from .base import API_METHOD_PERMISSIONS, OblikApi, OblikModelView
from .csrf import check_csrf
from .formatting import format_datetime, format_time
from .fields import UkDateTimeField
from .files import send_document
from .labels import LABELS, warning_labels
from .scope import allowed_building_ids, request_user, scoped_get

PAGE = 50


def _page() -> int:
    try:
        return max(0, int(request.args.get("page", "0")))
    except ValueError:
        return 0


def _username() -> str | None:
    """The browser's user or the API token's."""
    user = request_user()
    return getattr(user, "username", None) if user is not None else getattr(current_user, "username", None)


def _admin() -> bool:
    return role_of(current_user) == "admin"


def run_view(run: BillingRun | None, admin: bool = False) -> dict | None:
    """The run as the screen and its progress poll show it; a failed run's traceback only to
    an admin. ``orphan``: a running run whose lock went silent — its process died; the sweep
    will mark it failed, and the next Run may start now."""
    if run is None:
        return None
    from ..services.billing import failure
    from ..services.billing.lock import held

    lock = held(db.session, run.period) if run.status == "running" else None
    orphan = run.status == "running" and (lock is None or lock.run_id != run.id)
    silent = db.session.get(BillingLock, run.period) if orphan else None

    total = run.buildings_total or 0
    message, details = failure(run)
    return {
        "id": run.id, "period": run.period, "status": run.status, "status_label": str(RUN_STATUSES.label(run.status)),
        "done": run.buildings_done, "total": total,
        "percent": 100 if run.status == "done" else (int(100 * run.buildings_done / total) if total else 0),
        "accounts": run.accounts, "lines": run.lines, "warnings": run.warnings, "message": message,
        "traceback": details if admin else "",
        "started_by": run.started_by or "", "started_at": format_datetime(run.started_at, seconds=True),
        "finished_at": format_datetime(run.finished_at, seconds=True),
        "building": run.building.code if run.building else "",
        "orphan": orphan,
        "seen": format_datetime(silent.heartbeat_at, seconds=True) if silent is not None and silent.run_id == run.id
        else "",
    }


class BillingView(BaseView):
    """«Розрахунок»: the open period's run and close."""

    route_base = "/billing"
    class_permission_name = "Billing"
    method_permission_name = {
        "index": "list", "progress": "list", "report": "list", "recalculations": "list",
        "run": "run", "close": "close",
    }
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        from ..services.billing import draft_totals, latest_run, screens, unbilled_buildings
        from ..services.billing.lock import held
        from ..services.billing import close_problems
        from ..services.periods import current_period

        session = db.session
        period = current_period()
        context = {"period": period, "csrf_token": generate_csrf(), "periods": [], "run": None}
        context["periods"] = list(session.scalars(select(Period.period).order_by(Period.period.desc())))
        if period:
            code = request.args.get("code", "").strip()
            building = request.args.get("building", "").strip()
            page = _page()
            warnings, more = screens.warnings_page(session, period, code, building, page, PAGE)
            lock = held(session, period)
            context.update(
                run=run_view(latest_run(period), _admin()), totals=draft_totals(period), warnings=warnings, more=more,
                page=page, code=code, building=building, busy=lock is not None, warning_labels=warning_labels(),
                seen=format_time(lock.heartbeat_at) if lock is not None else "",
                warning_codes=screens.warning_counts(session, period),
                billed=screens.billed_buildings(session, period),
                unbilled=unbilled_buildings(session, period),
                problems=close_problems(session, period) if lock is None else [],
                recalculations=screens.recalculation_totals(session, period),
                kinds=LINE_KINDS,
            )
        return self.render_template("oblik/billing.html", **context)

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        from ..services.billing import BillingError
        from ..tasks.billing import start_billing

        check_csrf()
        code = request.form.get("building", "").strip() or None
        try:
            run = start_billing(request.form.get("period") or None, code, _username())
        except BillingError as error:
            flash(str(error), "danger")
            return redirect(url_for("BillingView.index"))
        if run.status == "done":
            flash(_("Billing of %(period)s done: %(accounts)s accounts, %(lines)s charge lines, %(warnings)s warnings.",
                    period=run.period, accounts=run.accounts, lines=run.lines, warnings=run.warnings), "success")
        elif run.status == "failed":
            flash(run_view(run)["message"] or _("The billing run failed."), "danger")
        else:
            flash(_("Billing of %(period)s started.", period=run.period), "info")
        return redirect(url_for("BillingView.index"))

    @expose("/progress/<int:run_id>")
    @has_access
    def progress(self, run_id):
        run = db.session.get(BillingRun, run_id)
        if run is None:
            abort(404)
        return jsonify(run_view(run, _admin()))

    @expose("/close", methods=["POST"])
    @has_access
    def close(self):
        from ..services.billing import BillingError
        from ..services.billing import close_period

        check_csrf()
        period = request.form.get("period", "")
        try:
            summary = close_period(period, _username())
        except BillingError as error:
            flash(str(error), "danger")
        else:
            flash(_("Period %(period)s closed: %(entries)s journal entries, %(payments)s payments, %(subsidies)s "
                    "subsidies posted. Open period: %(next)s.", period=summary.period, entries=summary.entries,
                    payments=summary.payments, subsidies=summary.subsidies, next=summary.next_period), "success")
        return redirect(url_for("BillingView.index"))

    @expose("/recalculations")
    @has_access
    def recalculations(self):
        """The open period's recalculations per account (before closing)."""
        from ..services.billing import screens
        from ..services.periods import current_period

        period = request.args.get("period") or current_period()
        page = _page()
        rows, more = screens.recalculations_page(db.session, period, page, PAGE)
        return self.render_template("oblik/billing_recalculations.html", period=period, rows=rows,
                                    more=more, page=page)

    @expose("/report/<kind>")
    @has_access
    def report(self, kind):
        from ..services.reports import ReportError, build_report
        from ..services.reports.writers import render

        fmt = request.args.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            abort(400)
        try:
            built = build_report(kind, request.args.get("period", ""))
        except ReportError as error:
            abort(400, str(error))
        mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                    else "text/csv; charset=utf-8")
        return Response(render(built, fmt), mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment; filename={built.file_name}.{fmt}"})


JOURNAL_FILTERS = ("period", "target_period", "kind", "building", "account", "service", "document")


def journal_query(args):
    """The journal statement for the screen's filters (``args``: a dict of texts), from the ledger."""
    stmt = ledger.entries_query(
        posting_period=args.get("period"), target_period=args.get("target_period"), kind=args.get("kind"),
        building_code=args.get("building"), account_number=args.get("account"), service_code=args.get("service"),
        document=args.get("document"))
    return (stmt.add_columns(Account.account_number, Service.code)
            .join(Account, Account.id == JournalEntry.account_id)
            .outerjoin(Service, Service.id == JournalEntry.service_id))


class JournalView(BaseView):
    """Журнал обліку господарських операцій, filtered by period, kind, building, account,
    service and document."""

    route_base = "/journal"
    class_permission_name = "Journal"
    method_permission_name = {"index": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        args = {name: request.args.get(name, "").strip() for name in JOURNAL_FILTERS}
        stmt = journal_query(args)
        page = _page()
        rows = db.session.execute(stmt.offset(page * PAGE).limit(PAGE + 1)).all()
        total = ledger.entries_total(db.session, stmt) if any(args.values()) else None
        return self.render_template(
            "oblik/journal.html", rows=rows[:PAGE], more=len(rows) > PAGE, page=page, args=args, total=total,
            kinds=JOURNAL_KINDS, periods=list(db.session.scalars(select(Period.period).order_by(Period.period.desc()))),
            services=list(db.session.scalars(select(Service.code).order_by(Service.code))))


# --- claim acts --------------------------------------------------------------------------------


class ClaimActTargetView(OblikModelView):
    """What a claim act covers — the act card's tab «Covers» (add a building, a network node
    or an account with the search-as-you-type pickers) and the building card's tab (the acts
    covering it)."""

    datamodel = SQLAInterface(ClaimActTarget)
    class_permission_name = "ClaimActTarget"
    label_columns = {**LABELS, "act": _l("Claim act")}
    list_title = _l("What the claim act covers")
    show_title = add_title = edit_title = _l("Claim act coverage")
    list_columns = ["act", "building", "network_node", "account"]
    add_columns = edit_columns = show_columns = list_columns

    def pre_delete(self, item):  # adding and editing: the validator refuses an approved act's coverage
        refuse_coverage_change(item)

    def _attach_errors(self, form, item) -> bool:
        """An inspector's act covers buildings and accounts of their own buildings (the pickers
        offer no other); a network node feeds buildings of others: refused beside its field."""
        invalid = super()._attach_errors(form, item)
        if (item.network_node is not None or item.network_node_id is not None) and \
                allowed_building_ids(db.session) is not None:
            self._show_errors(form, [FieldError("network_node", _(
                "An inspector's claim act covers buildings or accounts of their own buildings, not a network node"))])
            return True
        return invalid


class ClaimActShowWidget(ShowWidget):
    template = "oblik/widgets/claim_act_show.html"


class ClaimActView(OblikModelView):
    """Акти-претензії (Закон № 2189-VIII ст. 27): drafted by an operator, an accountant or an
    inspector (their own buildings), approved and cancelled by an accountant; only approved
    acts reduce charges, an approved act is never edited — it is cancelled."""

    datamodel = SQLAInterface(ClaimAct)
    class_permission_name = "ClaimAct"
    method_permission_name = {**OblikModelView.method_permission_name, "approve": "approve", "cancel": "approve",
                              "print_form": "show", "pdf": "show"}
    label_columns = {**LABELS, "act_date": _l("Act date"), "reduction_pct": _l("Reduction, %"),
                     "approved_by": _l("Approved by"), "approved_at": _l("Approved at"), "targets": _l("Covers"),
                     "number": _l("Number"), "notified_at": _l("Notified at (date and time)"),
                     "claimant_name": _l("Claimant"), "claimant_contacts": _l("Claimant's contacts"),
                     "claimant_account": _l("Claimant's account"), "claim_text": _l("What was claimed"),
                     "place": _l("Where"), "visit": _l("The provider's visit"),
                     "visited_at": _l("Visited at (date and time)"),
                     "representative": _l("Provider's representative"),
                     "witnesses": _l("Other consumers who signed (one a line)"), "outage": _l("Outage act"),
                     "deadline": _l("Provider's deadline"), "deadline_cell": _l("Provider's deadline"), "created_by": _l("Drafted by"),
                     "cancelled_by": _l("Cancelled by"), "cancelled_at": _l("Cancelled at")}
    description_columns = {
        "number": _l("Left empty, the next number of the year is given (АП-2026-0001)"),
        "witnesses": _l("Needed when the provider did not come or refused: the consumer and at least two other "
                        "consumers sign"),
        "notified_at": _l("The provider's deadline is 5 working days from it (public holidays skipped)"),
    }
    list_title = _l("Claim acts")
    show_title = add_title = edit_title = _l("Claim act")
    list_template = "oblik/claim_act_list.html"
    # the number may be left empty: the next one of the year is given (services.claim_acts.start_draft)
    add_form_extra_fields = edit_form_extra_fields = {
        "number": StringField(_l("Number"), validators=[Optional(), Length(max=50)], widget=BS3TextFieldWidget(),
                              description=_l("Left empty, the next number of the year is given (АП-2026-0001)")),
        "notified_at": UkDateTimeField(_l("Notified at (date and time)"), description=_l(
            "The provider's deadline is 5 working days from it (public holidays skipped)")),
        "visited_at": UkDateTimeField(_l("Visited at (date and time)")),
        "witnesses": TextAreaField(_l("Other consumers who signed (one a line)"), widget=BS3TextAreaFieldWidget(),
                                   description=_l("Needed when the provider did not come or refused: the consumer "
                                                  "and at least two other consumers sign")),
    }
    list_columns = ["number", "act_date", "service", "kind", "reduction_pct", "date_from", "date_to",
                    "deadline_cell", "status"]
    add_columns = edit_columns = ["number", "act_date", "service", "kind", "reduction_pct", "date_from", "date_to",
                                  "notified_at", "claimant_name", "claimant_contacts", "claimant_account",
                                  "claim_text", "place", "visit", "visited_at", "representative", "witnesses",
                                  "note"]
    show_columns = ["number", "outage", "act_date", "service", "kind", "reduction_pct", "date_from", "date_to",
                    "notified_at", "deadline", "claimant_name", "claimant_contacts", "claimant_account",
                    "claim_text", "place", "visit", "visited_at", "representative", "witnesses", "note", "status",
                    "created_by", "approved_by", "approved_at", "cancelled_by", "cancelled_at"]
    search_columns = ["number", "service", "kind", "status", "date_from", "date_to", "deadline"]
    order_columns = ["number", "act_date", "date_from", "date_to", "deadline", "status"]
    base_order = ("act_date", "desc")
    choice_columns = {"kind": CLAIM_KINDS, "status": CLAIM_STATUSES, "visit": CLAIM_VISITS}
    related_views = [ClaimActTargetView]
    formatters_columns = {"outage": lambda value: _("Yes") if value else _("No")}

    # What a saved act must satisfy: its validator (app.validation.rules); its life: app.services.claim_acts.
    def pre_add(self, item):
        start_draft(db.session, item, _username())
        super().pre_add(item)

    def pre_update(self, item):
        fill_deadline(db.session, item)
        super().pre_update(item)

    def post_add(self, item):
        """A new act started from a building's card covers that building."""
        building_id = request.args.get("building", type=int)
        if building_id and scoped_get(db.session, Building, building_id) is not None:
            add_targets(db.session, item, building_ids=[building_id])
            db.session.commit()

    def pre_delete(self, item):
        refuse_delete(item)

    # The card: one confirmation dialog of its own (FAB's show widget brings a second copy of the
    # layout's #modal-confirm); only the actions the act's status allows.
    show_widget = ClaimActShowWidget
    ACTIONS_BY_STATUS = {"draft": {"approve", "print_form"}, "approved": {"cancel", "print_form"},
                         "cancelled": {"print_form"}}

    def _get_show_widget(self, pk, item, **kwargs):
        allowed = self.ACTIONS_BY_STATUS.get(item.status, {"print_form"})
        kwargs["actions"] = {name: a for name, a in self.actions.items() if name in allowed}
        return super()._get_show_widget(pk, item, **kwargs)

    def _get_list_widget(self, filters, **kwargs):
        if request.args.get("overdue"):
            filters = filters.copy()
            filters.add_filter("status", FilterEqual, "draft")
            filters.add_filter("deadline", FilterSmaller, date.today())
        return super()._get_list_widget(filters, **kwargs)

    @action("approve", _l("Approve"), _l("Approve the selected claim acts?"), "fa-check", multiple=True)
    def approve(self, items):
        done, empty = approve(db.session, items if isinstance(items, list) else [items], _username())
        for number in empty:
            flash(_("Claim act %(number)s covers nothing yet: add buildings, nodes or accounts.", number=number),
                  "warning")
        flash(_("Approved: %(count)s", count=done), "success")
        return self._acted(items)

    @action("cancel", _l("Cancel the act"), _l("Cancel the selected claim acts? Their reductions are taken back "
                                                "(closed months by recalculation)."), "fa-ban", multiple=True)
    def cancel(self, items):
        count = cancel(db.session, items if isinstance(items, list) else [items], _username())
        flash(_("Cancelled: %(count)s", count=count), "success")
        return self._acted(items)

    def _acted(self, items):
        """Back where the action was pressed: the act's card for one act (its card's button), the
        list for the acts ticked in it — or a safe ``next`` (app/views/back.py). (FAB's page
        history went one page too far back: to the home page.)"""
        default = self.get_redirect()  # FAB's page history, kept in step
        if not isinstance(items, list):
            default = url_for("ClaimActView.show", pk=items.id)
        else:
            default = referrer_path() or default
        return redirect(next_url() or default)

    @action("print_form", _l("Print form (PDF)"), "", "fa-print", multiple=False)
    def print_form(self, item):
        item = item[0] if isinstance(item, list) else item
        return redirect(url_for("ClaimActView.pdf", pk=item.id))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        from ..services.documents.claim_act import claim_act_pdf, file_name

        return send_document(scoped_get(db.session, ClaimAct, pk), lambda act: claim_act_pdf(db.session, act),
                             file_name)


class AreaChangeView(OblikModelView):
    """A premise's areas from a date (re-measurement): earlier months keep the old areas."""

    datamodel = SQLAInterface(AreaChange)
    class_permission_name = "AreaChange"
    label_columns = LABELS
    list_title = _l("Area changes")
    show_title = add_title = edit_title = _l("Area change")
    list_columns = ["premise", "valid_from", "total_area", "heated_area", "document"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["premise", "valid_from"]
    order_columns = ["valid_from", "total_area"]
    base_order = ("valid_from", "desc")  # the areas' rules: the validator (app.validation.rules)


VIEWS = [
    (BillingView, "Billing", _l("Billing run"), "fa-calculator"),
    (JournalView, "Journal", _l("Journal"), "fa-book-open"),
    (ClaimActView, "ClaimAct", _l("Claim acts"), "fa-file-contract"),
    (AreaChangeView, "AreaChange", _l("Area changes"), "fa-ruler-combined"),
]
class ClaimActApi(OblikApi):
    """Акти-претензії over the REST API: the same rights (``ClaimAct``), inspector scope,
    validation and life as the screen — a new act is a draft numbered by
    ``claim_acts.start_draft``; only a draft is edited or deleted; ``POST /<id>/approve`` and
    ``POST /<id>/cancel`` for those with ``can_approve`` (accountants, admin), through
    ``claim_acts.approve`` / ``cancel`` as the screen's actions. What an act covers is the
    screen's tab (``ClaimActTarget``)."""

    resource_name = "claim_act"
    class_permission_name = "ClaimAct"
    method_permission_name = {**API_METHOD_PERMISSIONS, "approve": "approve", "cancel": "approve"}
    datamodel = SQLAInterface(ClaimAct)
    list_columns = show_columns = [
        "id", "number", "outage", "act_date", "service.id", "service.code", "kind", "reduction_pct", "date_from",
        "date_to", "notified_at", "deadline", "claimant_name", "claimant_contacts", "claimant_account",
        "claim_text", "place", "visit", "visited_at", "representative", "witnesses", "note", "status",
        "created_by", "approved_by", "approved_at", "cancelled_by", "cancelled_at"]
    # a new act gets the next number of the year (АП-2026-0001); a draft's number may be changed
    add_columns = [
        "act_date", "service", "kind", "reduction_pct", "date_from", "date_to", "notified_at",
        "claimant_name", "claimant_contacts", "claimant_account", "claim_text", "place", "visit", "visited_at",
        "representative", "witnesses", "note"]
    edit_columns = ["number", *add_columns]
    search_columns = ["number", "service", "kind", "status", "act_date", "deadline"]
    order_columns = ["number", "act_date", "deadline", "status"]

    def pre_add(self, item):
        with db.session.no_autoflush:
            start_draft(db.session, item, _username())
        super().pre_add(item)

    def pre_update(self, item):
        fill_deadline(db.session, item)
        super().pre_update(item)

    def pre_delete(self, item):
        try:
            refuse_delete(item)
        except ClaimActRefused as refused:
            abort(self.response_422(message={"status": [str(refused)]}))
        super().pre_delete(item)

    def _life(self, pk, change):
        act = scoped_get(db.session, ClaimAct, pk)
        if act is None:
            return self.response_404()
        message = change(act)
        if message:
            return self.response_422(message={"status": [message]})
        return self.response(200, id=act.id, result={"number": act.number, "status": act.status})

    @api_expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @permission_name("approve")
    def approve(self, pk):
        """Approve a draft claim act (it reduces the covered days' charges at the next run).
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The act, approved
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        def change(act):
            if act.status != "draft":
                return _("Only a draft claim act can be approved")
            done, empty = approve(db.session, [act], _username())
            if empty:
                return _("Claim act %(number)s covers nothing yet: add buildings, nodes or accounts.",
                         number=act.number)
            return None
        return self._life(pk, change)

    @api_expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @permission_name("approve")
    def cancel(self, pk):
        """Cancel a claim act (its reductions are taken back; closed months by recalculation).
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The act, cancelled
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        def change(act):
            if act.status == "cancelled":
                return _("The claim act is already cancelled")
            cancel(db.session, [act], _username())
            return None
        return self._life(pk, change)


HIDDEN_VIEWS = [ClaimActTargetView]
APIS = [ClaimActApi]


def _register_lookups():
    from sqlalchemy import or_

    from .lookup import LookupSpec, register_lookup

    register_lookup("claim_act", LookupSpec(
        ClaimAct, "ClaimAct", lambda s, t: s.where(or_(ClaimAct.number.ilike(f"{t}%"))),
        lambda: [ClaimAct.act_date.desc(), ClaimAct.number]))


_register_lookups()
