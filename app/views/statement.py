"""«Акт звірки»: the statement of one personal account over a range of months — on the screen,
as a PDF to print and sign, and as XLSX. Thin: the figures are
:func:`app.services.ledger.statement`, the documents :mod:`app.services.documents.statement`.

Who may see the journal may see a statement (``Journal`` / ``can_list``: accountants and
operators); inspectors may not."""

from flask import request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..services import ledger
from ..services.ledger.statement import MAX_MONTHS, account_by_number, default_range, read_month
from .files import send_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatementView(BaseView):
    route_base = "/statement"
    class_permission_name = "Journal"
    method_permission_name = {"index": "list", "pdf": "list", "xlsx": "list"}
    default_view = "index"

    def _statement(self):
        """(the form's values, the statement or None, a message or None)."""
        session = db.session
        first, last = default_range(session)
        form = {"account": request.args.get("account", "").strip(),
                "first": request.args.get("first", "").strip() or first or "",
                "last": request.args.get("last", "").strip() or last or ""}
        if not form["account"]:
            return form, None, None
        try:
            account_id = account_by_number(session, form["account"])
            st = ledger.statement(session, account_id, read_month(form["first"], _("From month")),
                                  read_month(form["last"], _("To month")))
        except ledger.StatementError as error:
            return form, None, str(error)
        return form, st, None

    def _page(self, form, st, message, status=200):
        from ..services.documents.statement import balance_text, column_labels, month_label, payment_text

        return self.render_template(
            "oblik/statement.html", form=form, statement=st, message=message, max_months=MAX_MONTHS,
            labels=column_labels(), month_label=month_label, payment_text=payment_text,
            balance=balance_text(st) if st else ""), status

    @expose("/")
    @has_access
    def index(self):
        return self._page(*self._statement())

    @expose("/pdf")
    @has_access
    def pdf(self):
        from ..services.documents.statement import file_name, statement_pdf

        return self._download(statement_pdf, "pdf", "application/pdf", file_name)

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        from ..services.documents.statement import file_name, statement_xlsx

        return self._download(statement_xlsx, "xlsx", XLSX, file_name)

    def _download(self, render, ext, mimetype, file_name):
        form, st, message = self._statement()
        if st is None:
            return self._page(form, None, message or _("Enter the personal account number"), 400)
        return send_bytes(render(st), file_name(st, ext), mimetype=mimetype, attachment=True)


VIEWS = [(StatementView, "Journal", _l("Statement of account"), "fa-file-invoice-dollar")]
HIDDEN_VIEWS = []
APIS = []
