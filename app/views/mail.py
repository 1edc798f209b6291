"""«Розсилка»: the delivery log of every e-mail (filters, counts by status, pages), the resend
of one failed or unknown message, «Надіслати рахунки за P», the mail settings with a test
message; and the public unsubscribe page of the invoices' e-mails (no login: a signed token).

Thin: :mod:`app.services.mail` does the work."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..models.mail import MAIL_KINDS, MAIL_SECURITY, MAIL_STATUSES
from .csrf import check_csrf

PAGE = 50


def _page() -> int:
    try:
        return max(0, int(request.args.get("page", "0")))
    except ValueError:
        return 0


def _username():
    return getattr(current_user, "username", None)


class MailView(BaseView):
    route_base = "/mail"
    class_permission_name = "Mail"
    method_permission_name = {
        "index": "list", "send_invoices": "send", "resend": "send",
        "settings": "settings", "save_settings": "settings", "test_message": "settings",
    }
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        from ..services.mail import screens, transport
        from ..services.periods import current_period

        args = {name: request.args.get(name, "").strip()[:30] for name in screens.FILTERS}
        page = _page()
        rows, more = screens.deliveries_page(db.session, args, page, PAGE)
        may_send = self.appbuilder.sm.has_access("can_send", "Mail")
        config = transport.current(db.session)
        return self.render_template(
            "oblik/mail.html", rows=rows, more=more, page=page, args=args, kinds=MAIL_KINDS, statuses=MAIL_STATUSES,
            counts=screens.status_counts(db.session, args), periods=screens.periods(db.session),
            period=current_period() or "", may_send=may_send, csrf_token=generate_csrf(), config=config,
            may_settings=self.appbuilder.sm.has_access("can_settings", "Mail"))

    @expose("/send", methods=["POST"])
    @has_access
    def send_invoices(self):
        from ..services.mail import invoices

        check_csrf()
        period = request.form.get("period", "")
        try:
            queued = invoices.send_period(db.session, period, _username())
        except invoices.MailRefused as error:
            flash(str(error), "danger")
            return redirect(url_for("MailView.index"))
        flash(_("Invoices of %(period)s: %(n)s new messages queued; sending has started.", period=period.strip(),
                n=queued), "success")
        return redirect(url_for("MailView.index", period=period.strip(), kind="invoice"))

    @expose("/resend/<int:delivery_id>", methods=["POST"])
    @has_access
    def resend(self, delivery_id):
        from ..models import MailDelivery
        from ..services.mail import outbox

        check_csrf()
        delivery = db.session.get(MailDelivery, delivery_id)
        if delivery is None:
            flash(_("No such message."), "danger")
            return redirect(url_for("MailView.index"))
        kind, period = delivery.kind, delivery.period
        if not outbox.resend(db.session, delivery_id, _username()):
            flash(_("Only a failed, skipped or unknown message can be sent again."), "warning")
        else:
            outbox.dispatch(kind, period, _username())
            flash(_("The message is queued again and will be sent."), "success")
        return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/mail/")
                        else url_for("MailView.index"))

    @expose("/settings", methods=["GET"])
    @has_access
    def settings(self):
        from ..services.mail import screens

        return self._settings_page(screens.settings_values(db.session), {})

    def _settings_page(self, values, errors, test=None, status=200):
        from flask import current_app

        return self.render_template(
            "oblik/mail_settings.html", values=values, errors=errors, security=MAIL_SECURITY, test=test,
            csrf_token=generate_csrf(), env_password=bool(current_app.config.get("MAIL_PASSWORD")),
            defaults={"server": current_app.config.get("MAIL_SERVER"), "port": current_app.config.get("MAIL_PORT"),
                      "sender": current_app.config.get("MAIL_DEFAULT_SENDER"),
                      "rate_per_minute": current_app.config.get("MAIL_RATE_PER_MINUTE"),
                      "security": current_app.config.get("MAIL_SECURITY"),
                      "bounce_address": current_app.config.get("MAIL_BOUNCE_ADDRESS")}), status

    @expose("/settings", methods=["POST"])
    @has_access
    def save_settings(self):
        from ..services.mail import screens

        check_csrf()
        errors = screens.save_settings(db.session, request.form, _username())
        if errors:
            values = {name: request.form.get(name, "") for name in screens.FIELDS}
            values["password"] = ""
            values["enabled"] = request.form.get("enabled") in ("1", "on", "y", "true")
            values["password_stored"] = screens.settings_values(db.session)["password_stored"]
            flash(_("The settings are not saved: correct the fields marked below."), "danger")
            return self._settings_page(values, errors, status=400)
        flash(_("Mail settings saved."), "success")
        return redirect(url_for("MailView.settings"))

    @expose("/test", methods=["POST"])
    @has_access
    def test_message(self):
        from ..services.mail import screens

        check_csrf()
        ok, answer = screens.send_test(db.session, request.form.get("to", ""))
        if ok:
            flash(_("Test message sent; the server answered: %(answer)s", answer=answer), "success")
            return redirect(url_for("MailView.settings"))
        values = screens.settings_values(db.session)
        return self._settings_page(values, {"to": answer}, test=request.form.get("to", ""), status=400)


class UnsubscribeView(BaseView):
    """The public page of an invoice e-mail's unsubscribe link: no login — the signed token in
    the link is the permission; the form is bound to it (a forged request needs the token),
    and a mail program's one-click POST (RFC 8058) does the same."""

    route_base = "/mail/unsubscribe"
    token_bound = True  # no CSRF token: the signed token of the link is what a forged request lacks
    default_view = "page"

    def _answer(self, token, done=False, status=200):
        from ..services.mail import invoices

        account_id = invoices.token_account(token)
        person = invoices.subscriber(db.session, account_id) if account_id is not None else None
        if person is None:
            return self.render_template("oblik/mail_unsubscribe.html", invalid=True, token=""), 404
        return self.render_template("oblik/mail_unsubscribe.html", invalid=False, person=person, token=token,
                                    done=done), status

    @expose("/<token>", methods=["GET"])
    def page(self, token):
        return self._answer(token)

    @expose("/<token>", methods=["POST"])
    def confirm(self, token):
        from ..services.mail import invoices

        account_id = invoices.token_account(token)
        if account_id is None or not invoices.unsubscribe(db.session, account_id):
            return self._answer(token)
        return self._answer(token, done=True)


VIEWS = [(MailView, "Mail", _l("Mailing"), "fa-envelope")]
HIDDEN_VIEWS = [UnsubscribeView]
APIS = []
