"""«Шаблони листів»: the subject and body of each kind of e-mail (invoice, reading reminder) in
Ukrainian and English, edited with a preview (sample values, or a real account's) — admin and
accountant (resource ``MailTemplate``). Thin: :mod:`app.services.mail.templates` checks and
stores; :mod:`app.services.reminders` gives a real account's reminder values."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..services.mail import templates
from .csrf import check_csrf


class MailTemplateView(BaseView):
    route_base = "/mailtemplates"
    class_permission_name = "MailTemplate"
    method_permission_name = {"index": "list", "edit": "edit"}  # noqa: RUF012 (FAB reads it)
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        rows = []
        for kind in templates.KINDS:
            for lang in templates.LANGUAGES:
                subject, _body = templates.current(kind, lang)
                rows.append({"kind": kind, "lang": lang, "kind_label": templates.KIND_LABELS[kind],
                             "lang_label": templates.LANGUAGE_LABELS[lang], "subject": subject,
                             "edited": templates.stored(kind, lang) is not None})
        return self.render_template("oblik/mail_templates.html", rows=rows)

    @expose("/edit/<kind>/<lang>", methods=["GET", "POST"])
    @has_access
    def edit(self, kind, lang):
        if kind not in templates.KINDS or lang not in templates.LANGUAGES:
            abort(404)
        subject, body = templates.current(kind, lang)
        errors, preview, account_number, status = {}, None, "", 200
        if request.method == "POST":
            check_csrf()
            action = request.form.get("action", "preview")
            subject, body = request.form.get("subject", ""), request.form.get("body", "").replace("\r\n", "\n")
            account_number = request.form.get("account", "").strip()[:30]
            if action == "reset":
                templates.reset(db.session, kind, lang)
                flash(_("The template is back to its default"), "info")
                return redirect(url_for("MailTemplateView.edit", kind=kind, lang=lang))
            if action == "save":
                errors = templates.save(db.session, kind, lang, subject, body, g.user.username)
                if not errors:
                    flash(_("The template has been saved"), "success")
                    return redirect(url_for("MailTemplateView.edit", kind=kind, lang=lang))
                status = 400
            else:
                errors = templates.template_errors(kind, subject, body)
                status = 400 if errors else 200
            if not errors:
                context, problem = _preview_context(kind, lang, account_number)
                if problem:
                    errors["account"] = problem
                    status = 400
                else:
                    preview = templates.fill(subject, body, context)
        return self.render_template(
            "oblik/mail_template_edit.html", kind=kind, lang=lang, kind_label=templates.KIND_LABELS[kind],
            lang_label=templates.LANGUAGE_LABELS[lang], subject=subject, body=body, errors=errors, preview=preview,
            account=account_number, placeholders=templates.PLACEHOLDERS[kind],
            edited=templates.stored(kind, lang) is not None), status


def _preview_context(kind, lang, account_number):
    """The sample values, or — an account number given — that account's own where known."""
    context = dict(templates.SAMPLES[kind])
    if not account_number:
        return context, None
    from ..models import Account
    from ..services import reminders

    account_id = db.session.scalar(select(Account.id).where(Account.account_number == account_number))
    if account_id is None:
        return context, _("No personal account %(number)s", number=account_number)
    period = reminders.current_period()
    account = reminders.load_accounts(db.session, [account_id], period)[account_id]
    if kind == "reminder":
        context.update(reminders.context_of(account, period, reminders._provider(db.session), lang))
    else:
        context.update(account_number=account.account_number, owner=account.owner, address=account.address)
    return context, None


VIEWS = [(MailTemplateView, "MailTemplate", _l("Mail templates"), "fa-envelope")]
HIDDEN_VIEWS: list = []
APIS: list = []
