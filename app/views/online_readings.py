"""The residents' readings page behind a reminder's personal link — public (no sign-in: no
``has_access``, as the login page), thin: the link, the checks and the writing are
:mod:`app.services.reminders`.

Every request is counted per link and per address (in the database: every gunicorn worker
shares the count) and refused with a Ukrainian 429 page over the limit; the form carries the
CSRF token (checked by :func:`app.views.csrf.check_csrf` and by CSRFProtect for every POST)."""
from flask import make_response, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from ..extensions import db
from ..services import reminders
from ..services.language import current_language
from .csrf import check_csrf


def _refused(message: str, code: int):
    return render_template("oblik/error.html", code=code, message=message, lang=current_language()), code


class OnlineReadingsView(BaseView):
    route_base = "/readings/online"
    default_view = "form"

    @expose("/<token>", methods=["GET", "POST"])
    def form(self, token):
        response = make_response(self._answer(token))
        # a personal page: kept by no cache or proxy, indexed by no search engine
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    def _answer(self, token):
        if len(token) > 300:
            return _refused(_("This link is not valid: it may have been copied incompletely. "
                              "Use the link from the latest e-mail or contact the provider."), 404)
        if not reminders.throttle(token, request.remote_addr):
            return _refused(_("Too many requests from this link or address: wait a few minutes and try again."),
                            429)
        try:
            account_id, period = reminders.read_link(token)
            if request.method == "POST":
                check_csrf()
                values = {key[len("meter-"):]: value for key, value in request.form.items()
                          if key.startswith("meter-")}
                result = reminders.submit(db.session, account_id, period, values)
                if not result.errors:
                    return redirect(url_for("OnlineReadingsView.form", token=token, saved=len(result.saved)))
                account = reminders.page(db.session, account_id, period)
                return self._page(account, period, result.errors, request.form, token), 400
            account = reminders.page(db.session, account_id, period)
        except reminders.LinkRefused as refused:
            db.session.rollback()
            return _refused(refused.message, refused.code)
        return self._page(account, period, {}, {}, token)

    def _page(self, account, period, errors, entered, token):
        saved = request.args.get("saved", type=int) if request.method == "GET" else None
        return render_template("oblik/online_readings.html", account=account, month=reminders.month_name(period),
                               errors=errors, entered=entered, saved=saved, token=token,
                               expires=reminders.last_day(period).strftime("%d.%m.%Y"),
                               lang=current_language())
