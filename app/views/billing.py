"""Розрахунок: the billing screen (period, Run, progress, warnings, recalculations, Close,
reports), the journal with its filters, claim acts with approval, and area changes.

Thin: every action calls a service (:mod:`app.services.billing_run`, ``period_close``,
``reports``) or the Celery task of a run (:mod:`app.tasks.billing`)."""
from datetime import datetime

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Account, AreaChange, BillingBuilding, BillingRun, BillingWarning, Building, ChargeLine, ClaimAct,
    ClaimActTarget, JournalEntry, Period, Premise, Service,
)
from ..models.billing import CLAIM_KINDS, CLAIM_STATUSES, LINE_KINDS, RUN_STATUSES, WARNING_CODES
from ..models.choices import JOURNAL_KINDS
from .base import OblikModelView
from .csrf import check_csrf
from .labels import LABELS

PAGE = 50


def _page() -> int:
    try:
        return max(0, int(request.args.get("page", "0")))
    except ValueError:
        return 0


def _username() -> str | None:
    return getattr(current_user, "username", None)


def run_view(run: BillingRun | None) -> dict | None:
    if run is None:
        return None
    total = run.buildings_total or 0
    return {
        "id": run.id, "period": run.period, "status": run.status, "status_label": str(RUN_STATUSES.label(run.status)),
        "done": run.buildings_done, "total": total,
        "percent": 100 if run.status == "done" else (int(100 * run.buildings_done / total) if total else 0),
        "accounts": run.accounts, "lines": run.lines, "warnings": run.warnings, "message": run.message or "",
        "started_by": run.started_by or "", "started_at": run.started_at.strftime("%d.%m.%Y %H:%M:%S") if run.started_at else "",
        "finished_at": run.finished_at.strftime("%d.%m.%Y %H:%M:%S") if run.finished_at else "",
        "building": run.building.code if run.building else "",
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
        from ..services.billing.lock import held
        from ..services.billing import draft_totals, latest_run, unbilled_buildings
        from ..services.period_close import close_problems
        from ..services.periods import current_period

        session = db.session
        period = current_period()
        context = {"period": period, "csrf_token": generate_csrf(), "periods": [], "run": None}
        context["periods"] = list(session.scalars(select(Period.period).order_by(Period.period.desc())))
        if period:
            run = latest_run(period)
            code = request.args.get("code", "").strip()
            building = request.args.get("building", "").strip()
            warnings = select(BillingWarning, Building.code).join(Building, Building.id == BillingWarning.building_id)\
                .where(BillingWarning.period == period)
            if code:
                warnings = warnings.where(BillingWarning.code == code)
            if building:
                warnings = warnings.where(Building.code == building)
            page = _page()
            rows = session.execute(warnings.order_by(Building.code, BillingWarning.target_period.desc(),
                                                     BillingWarning.id)
                                   .offset(page * PAGE).limit(PAGE + 1)).all()
            lock = held(session, period)
            context.update(
                run=run_view(run), totals=draft_totals(period), warnings=rows[:PAGE], more=len(rows) > PAGE,
                page=page, code=code, building=building, busy=lock is not None, warning_labels=WARNING_CODES,
                warning_codes=session.execute(select(BillingWarning.code, func.count()).where(
                    BillingWarning.period == period).group_by(BillingWarning.code).order_by(BillingWarning.code)).all(),
                billed=session.scalar(select(func.count()).select_from(BillingBuilding).where(
                    BillingBuilding.period == period)),
                unbilled=unbilled_buildings(session, period),
                problems=close_problems(session, period) if lock is None else [],
                recalculations=session.execute(
                    select(func.count(func.distinct(ChargeLine.account_id)), func.sum(ChargeLine.amount))
                    .where(ChargeLine.period == period, ChargeLine.kind == "recalculation")).one(),
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
            flash(run.message or _("The billing run failed."), "danger")
        else:
            flash(_("Billing of %(period)s started.", period=run.period), "info")
        return redirect(url_for("BillingView.index"))

    @expose("/progress/<int:run_id>")
    @has_access
    def progress(self, run_id):
        run = db.session.get(BillingRun, run_id)
        if run is None:
            abort(404)
        return jsonify(run_view(run))

    @expose("/close", methods=["POST"])
    @has_access
    def close(self):
        from ..services.billing import BillingError
        from ..services.period_close import close_period

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
        from ..services.periods import current_period

        period = request.args.get("period") or current_period()
        page = _page()
        rows = db.session.execute(
            select(Account.id, Account.account_number, Account.owner_name, func.count(),
                   func.min(ChargeLine.target_period), func.max(ChargeLine.target_period), func.sum(ChargeLine.amount))
            .join(Account, Account.id == ChargeLine.account_id)
            .where(ChargeLine.period == period, ChargeLine.kind == "recalculation")
            .group_by(Account.id, Account.account_number, Account.owner_name)
            .order_by(Account.account_number).offset(page * PAGE).limit(PAGE + 1)).all()
        return self.render_template("oblik/billing_recalculations.html", period=period, rows=rows[:PAGE],
                                    more=len(rows) > PAGE, page=page)

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
    """The journal statement for the screen's filters (``args``: a dict of texts)."""
    stmt = (select(JournalEntry, Account.account_number, Service.code)
            .join(Account, Account.id == JournalEntry.account_id)
            .outerjoin(Service, Service.id == JournalEntry.service_id))
    if args.get("period"):
        stmt = stmt.where(JournalEntry.posting_period == args["period"])
    if args.get("target_period"):
        stmt = stmt.where(JournalEntry.target_period == args["target_period"])
    if args.get("kind"):
        stmt = stmt.where(JournalEntry.kind == args["kind"])
    if args.get("building"):
        stmt = stmt.where(Account.premise_id.in_(select(Premise.id).join(Building).where(
            Building.code == args["building"])))
    if args.get("account"):
        stmt = stmt.where(Account.account_number == args["account"])
    if args.get("service"):
        stmt = stmt.where(Service.code == args["service"])
    if args.get("document"):
        stmt = stmt.where(JournalEntry.document.ilike(f"%{args['document']}%"))
    return stmt


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
        rows = db.session.execute(stmt.order_by(JournalEntry.id.desc()).offset(page * PAGE).limit(PAGE + 1)).all()
        total = None
        if any(args.values()):
            filtered = stmt.subquery()
            total = db.session.execute(select(func.count(), func.sum(filtered.c.amount))).one()
        return self.render_template(
            "oblik/journal.html", rows=rows[:PAGE], more=len(rows) > PAGE, page=page, args=args, total=total,
            kinds=JOURNAL_KINDS, periods=list(db.session.scalars(select(Period.period).order_by(Period.period.desc()))),
            services=list(db.session.scalars(select(Service.code).order_by(Service.code))))


# --- claim acts --------------------------------------------------------------------------------


class ClaimActTargetView(OblikModelView):
    datamodel = SQLAInterface(ClaimActTarget)
    class_permission_name = "ClaimActTarget"
    label_columns = {**LABELS, "act": _l("Claim act")}
    list_title = _l("What the claim act covers")
    show_title = add_title = edit_title = _l("Claim act coverage")
    list_columns = ["act", "building", "network_node", "account"]
    add_columns = edit_columns = show_columns = list_columns

    def _refuse_if_approved(self, item):
        if item.act is not None and item.act.status == "approved":
            raise ValueError(_("The claim act is approved: its coverage cannot change. Withdraw the approval first."))

    def pre_add(self, item):
        self._refuse_if_approved(item)

    def pre_update(self, item):
        self._refuse_if_approved(item)

    def pre_delete(self, item):
        self._refuse_if_approved(item)


class ClaimActView(OblikModelView):
    """Акти-претензії: drafted by an operator or an accountant, approved by an accountant;
    only approved acts reduce charges, and an approved act is not edited."""

    datamodel = SQLAInterface(ClaimAct)
    class_permission_name = "ClaimAct"
    method_permission_name = {**OblikModelView.method_permission_name, "approve": "approve", "withdraw": "approve"}
    label_columns = {**LABELS, "act_date": _l("Act date"), "reduction_pct": _l("Reduction, %"),
                     "approved_by": _l("Approved by"), "approved_at": _l("Approved at"), "targets": _l("Covers"),
                     "number": _l("Number")}
    list_title = _l("Claim acts")
    show_title = add_title = edit_title = _l("Claim act")
    list_columns = ["number", "act_date", "service", "kind", "reduction_pct", "date_from", "date_to", "status"]
    add_columns = edit_columns = ["number", "act_date", "service", "kind", "reduction_pct", "date_from", "date_to",
                                  "note"]
    show_columns = add_columns + ["status", "approved_by", "approved_at"]
    search_columns = ["number", "service", "kind", "status", "date_from", "date_to"]
    order_columns = ["number", "act_date", "date_from", "date_to", "status"]
    base_order = ("act_date", "desc")
    choice_columns = {"kind": CLAIM_KINDS, "status": CLAIM_STATUSES}
    related_views = [ClaimActTargetView]

    def _check(self, item):
        if item.date_from and item.date_to and item.date_to < item.date_from:
            raise ValueError(_("The end date is before the start date"))
        if item.kind == "poor_quality" and (item.reduction_pct is None or not 0 < item.reduction_pct <= 100):
            raise ValueError(_("A poor-quality act needs a reduction between 0 and 100 %"))

    def pre_add(self, item):
        item.status = "draft"
        self._check(item)

    def pre_update(self, item):
        if item.status == "approved":
            raise ValueError(_("The claim act is approved and cannot be changed. Withdraw the approval first."))
        self._check(item)

    def pre_delete(self, item):
        if item.status == "approved":
            raise ValueError(_("An approved claim act cannot be deleted. Withdraw the approval first."))

    @action("approve", _l("Approve"), _l("Approve the selected claim acts?"), "fa-check", multiple=True)
    def approve(self, items):
        items = items if isinstance(items, list) else [items]
        done = 0
        for item in items:
            if item.status != "approved" and item.targets:
                item.status, item.approved_by, item.approved_at = "approved", _username(), datetime.now()
                done += 1
            elif not item.targets:
                flash(_("Claim act %(number)s covers nothing yet: add buildings, nodes or accounts.",
                        number=item.number), "warning")
        db.session.commit()
        flash(_("Approved: %(count)s", count=done), "success")
        return redirect(self.get_redirect())

    @action("withdraw", _l("Withdraw approval"), _l("Withdraw the approval of the selected claim acts?"), "fa-undo",
            multiple=True)
    def withdraw(self, items):
        items = items if isinstance(items, list) else [items]
        for item in items:
            item.status, item.approved_by, item.approved_at = "draft", None, None
        db.session.commit()
        flash(_("Approval withdrawn: %(count)s", count=len(items)), "success")
        return redirect(self.get_redirect())


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
    base_order = ("valid_from", "desc")

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)

    def _check(self, item):
        if item.total_area is None or item.total_area <= 0:
            raise ValueError(_("The total area must be positive"))
        if item.heated_area is not None and (item.heated_area <= 0 or item.heated_area > item.total_area):
            raise ValueError(_("The heated area must be positive and not above the total area"))


VIEWS = [
    (BillingView, "Billing", _l("Billing run"), "fa-calculator"),
    (JournalView, "Journal", _l("Journal"), "fa-book-open"),
    (ClaimActView, "ClaimAct", _l("Claim acts"), "fa-file-contract"),
    (AreaChangeView, "AreaChange", _l("Area changes"), "fa-ruler-combined"),
]
HIDDEN_VIEWS = [ClaimActTargetView]
APIS = []


def _register_lookups():
    from sqlalchemy import or_

    from .lookup import LookupSpec, register_lookup

    register_lookup("claim_act", LookupSpec(
        ClaimAct, "ClaimAct", lambda s, t: s.where(or_(ClaimAct.number.ilike(f"{t}%"))),
        lambda: [ClaimAct.act_date.desc(), ClaimAct.number]))


_register_lookups()
