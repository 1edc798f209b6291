"""«Рахунки на оплату»: the invoices of a period — one account's invoice previewed in the
browser, the whole period built in the background (a progress bar by building), the files
downloaded per building (the combined PDF to print) or per account.

Thin: the build is :mod:`app.services.invoices.builds` (started through
:func:`app.tasks.invoices.start_invoice_build`), the document :mod:`app.services.invoices`.
Who may: ``Invoices`` / ``can_list`` (accountants, operators, the admin) previews and
downloads, ``can_build`` (accountants, the admin) starts a build; inspectors may not. Downloads
are found by ids in the database, never by a path from the request, and only inside the
build's own directory."""
import re

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..extensions import db
from ..models import Account, Building, InvoiceBuild, Period
from ..models.invoices import BUILD_STATUSES
from ..security import role_of
from .csrf import check_csrf
from .files import send_bytes
from .formatting import format_datetime
from .guard import is_id

PAGE = 50


def _when(moment) -> str:
    return format_datetime(moment, seconds=True)


def build_view(build: InvoiceBuild | None) -> dict | None:
    """The build as the screen and its progress poll show it; a failed build's traceback only
    to an admin. ``silent``: running, but no sign of life for a while (its process died; the
    sweep will mark it failed)."""
    if build is None:
        return None
    from ..services.invoices.builds import failure, is_silent

    total = build.buildings_total or 0
    message, details = failure(build)
    return {
        "id": build.id, "period": build.period, "status": build.status,
        "status_label": str(BUILD_STATUSES.label(build.status)), "preliminary": build.preliminary,
        "done": build.buildings_done, "total": total,
        "percent": 100 if build.status == "done" else (int(100 * build.buildings_done / total) if total else 0),
        "accounts": build.accounts, "files": build.files, "message": message,
        "traceback": details if role_of(current_user) == "admin" else "",
        "started_by": build.started_by or "", "started_at": _when(build.started_at),
        "finished_at": _when(build.finished_at), "silent": is_silent(db.session, build),
    }


def _period() -> str | None:
    from ..services.invoices.builds import default_period

    period = request.values.get("period", "").strip()
    if re.fullmatch(r"\d{4}-\d{2}", period) and db.session.scalar(select(Period.period).where(Period.period == period)):
        return period
    return default_period()


def _page() -> int:
    value = request.args.get("page", "0")
    return min(int(value), 100000) if value.isdigit() else 0


def _build_or_404(build_id: int) -> InvoiceBuild:
    from ..services.invoices.builds import builds_root

    build = db.session.get(InvoiceBuild, build_id) if is_id(str(build_id)) else None
    # the screen serves the screen's builds only: a command-line build's directory is its operator's
    if build is None or not build.directory.startswith(str(builds_root()) + "/"):
        abort(404)
    return build


def _send(path, name, inline=False):
    return send_bytes(path, name, attachment=not inline)


class InvoicesView(BaseView):
    """«Рахунки на оплату»."""

    route_base = "/invoices"
    class_permission_name = "Invoices"
    method_permission_name = {"index": "list", "preview": "list", "progress": "list", "building": "list",
                              "account": "list", "build": "build"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        from ..services.invoices.builds import chunks_page, latest_build

        session = db.session
        period = _period()
        periods = list(session.scalars(select(Period.period).order_by(Period.period.desc()).limit(120)))
        context = {"period": period, "periods": periods, "csrf_token": generate_csrf(), "build": None,
                   "chunks": [], "more": False, "page": 0, "addresses": {}, "account": None, "open": None}
        if period:
            build = latest_build(period)
            context["open"] = session.scalar(select(Period.status).where(Period.period == period)) == "open"
            if build is not None:
                page = _page()
                chunks, more = chunks_page(build.id, page, PAGE)
                ids = [c.building_id for c in chunks]
                stmt = select(Building.id, Building.address).where(Building.id.in_(ids))
                addresses = dict(session.execute(stmt).tuples().all()) if ids else {}
                context.update(build=build_view(build), chunks=chunks, more=more, page=page, addresses=addresses)
        account = request.args.get("account", "")
        if is_id(account):
            context["account"] = session.get(Account, int(account))
        return self.render_template("oblik/invoices.html", **context)

    @expose("/preview")
    @has_access
    def preview(self):
        """One account's invoice of the period, shown in the browser (``inline``)."""
        from ..services.invoices import file_name
        from ..services.invoices.builds import BuildError, preview

        period = _period()
        account = request.args.get("account", "")
        if not is_id(account) or db.session.get(Account, int(account)) is None:
            flash(_("Choose a personal account to preview its invoice."), "warning")
            return redirect(url_for("InvoicesView.index", period=period))
        if period is None:
            flash(_("No period is open: open the first one with «oblik period open YYYY-MM»."), "warning")
            return redirect(url_for("InvoicesView.index"))
        try:
            invoice, pdf = preview(period, int(account))
        except BuildError as error:
            flash(str(error), "warning")
            return redirect(url_for("InvoicesView.index", period=period, account=account))
        return _send(pdf, file_name(invoice), inline=True)

    @expose("/build", methods=["POST"])
    @has_access
    def build(self):
        from ..services.invoices.builds import BuildError
        from ..tasks.invoices import start_invoice_build

        check_csrf()
        period = request.form.get("period", "").strip()
        try:
            build = start_invoice_build(period, user=getattr(current_user, "username", None))
        except BuildError as error:
            flash(str(error), "danger")
            return redirect(url_for("InvoicesView.index", period=period or None))
        if build.status == "done":
            flash(_("Invoices of %(period)s built: %(accounts)s accounts, %(files)s files.", period=build.period,
                    accounts=build.accounts, files=build.files), "success")
        elif build.status == "failed":
            flash(build_view(build)["message"] or _("The invoice build failed."), "danger")
        else:
            flash(_("Building the invoices of %(period)s has started.", period=build.period), "info")
        return redirect(url_for("InvoicesView.index", period=build.period))

    @expose("/progress/<int:build_id>")
    @has_access
    def progress(self, build_id):
        return jsonify(build_view(_build_or_404(build_id)))

    @expose("/download/<int:build_id>/building/<int:building_id>")
    @has_access
    def building(self, build_id, building_id):
        """The combined PDF of a building (all its invoices in delivery order)."""
        from ..services.invoices.builds import building_file

        build = _build_or_404(build_id)
        path = building_file(build, building_id) if is_id(str(building_id)) else None
        if path is None:
            abort(404)
        return _send(path, path.name)

    @expose("/download/<int:build_id>/account")
    @has_access
    def account(self, build_id):
        """One account's PDF of the build, found by its number."""
        from ..services.invoices.builds import account_file

        build = _build_or_404(build_id)
        number = request.args.get("number", "").strip()[:50]
        account_id = (db.session.scalar(select(Account.id).where(Account.account_number == number))
                      if number and "\x00" not in number else None)
        path = account_file(build, account_id) if account_id is not None else None
        if path is None:
            flash(_("No invoice of personal account «%(number)s» in this build.", number=number), "warning")
            return redirect(url_for("InvoicesView.index", period=build.period))
        return _send(path, path.name)


VIEWS = [(InvoicesView, "Invoices", _l("Invoices for payment"), "fa-file-invoice")]
HIDDEN_VIEWS = []
APIS = []
