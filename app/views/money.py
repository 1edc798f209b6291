"""Оплати: payments as received facts — entered or imported, never edited or deleted; posted
to the journal when recorded, and corrected only by a reversal (Сторнування) with a reason."""
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from ..extensions import current_appbuilder, db
from ..models import Payment
from ..services import ledger
from ..models import JournalEntry, PaymentReversal, Service
from ..models.choices import JOURNAL_KINDS
from ..models.choices import PAYMENT_SOURCES, Choices
from .base import OblikApi, OblikModelView
from .fields import ChoiceField
from .files import send_document
from .csrf import check_csrf
from .labels import LABELS
from .scope import request_user

FACT_PERMISSIONS = ["can_list", "can_show", "can_add"]
# what a payment entered on the form may come from (an import writes its own)
DESK_SOURCES = Choices(*(pair for pair in PAYMENT_SOURCES if pair[0] != "import"))


def _stamp(item):
    user = request_user()  # the browser's or the API token's
    if not item.created_by and user is not None:
        item.created_by = user.username


class PaymentView(OblikModelView):
    datamodel = SQLAInterface(Payment)
    class_permission_name = "Payment"
    base_permissions = FACT_PERMISSIONS + ["can_reverse"]
    label_columns = LABELS
    list_title = _l("Payments")
    show_title = add_title = _l("Payment")
    list_columns = ["external_id", "account", "paid_on", "amount", "source", "created_by"]
    # the identifier of a payment taken at the desk is its receipt number, given by the system
    add_columns = ["account", "paid_on", "amount", "source"]
    add_form_extra_fields = {"source": ChoiceField(_l("Source"), choices=DESK_SOURCES)}
    formatters_columns = {"source": lambda code: str(PAYMENT_SOURCES.label(code))}
    list_template = "oblik/payment_list.html"
    show_columns = ["external_id", "account", "paid_on", "amount", "source", "created_by", "created_at"]
    search_columns = ["external_id", "account", "paid_on", "amount", "source"]
    order_columns = ["external_id", "paid_on", "amount"]
    base_order = ("paid_on", "desc")
    quick_search_hint = _l("Account number, owner, address, receipt number or payment identifier")
    show_template = "oblik/payment_show.html"
    method_permission_name = {"reverse": "reverse", "receipt": "show"}

    def prefill_add(self, form) -> None:
        if form.paid_on.data is None:
            form.paid_on.data = date.today()
        if not form.source.data:
            form.source.data = "cash"

    def _attach_errors(self, form, item) -> bool:
        """The form's rules but the identifier's: the receipt number is given at the save
        (:func:`ledger.receive_payment`), so a refused form takes no number."""
        given = item.external_id
        if not given:
            item.external_id = "-"
        try:
            return super()._attach_errors(form, item)
        finally:
            item.external_id = given

    def pre_add(self, item):
        _stamp(item)
        ledger.receive_payment(db.session, item, item.created_by)  # posted in the same transaction

    def post_add(self, item):
        g.payment_added = item.id

    def post_add_redirect(self):
        """To the new payment: its number, its posting and the receipt to print."""
        added = getattr(g, "payment_added", None)
        if added is not None:
            return redirect(url_for("PaymentView.show", pk=added))
        return super().post_add_redirect()

    def _get_list_widget(self, filters, **kwargs):
        widgets = super()._get_list_widget(filters, **kwargs)
        joined = self.searched_filters(filters).get_joined_filters(self._base_filters)  # the search box too
        chosen = joined.apply_all(db.session.query(Payment.id)).with_entities(Payment.id).order_by(None)
        widgets["totals"] = ledger.payment_totals(db.session, chosen.statement)
        return widgets

    @expose("/receipt/<int:pk>")
    @has_access
    def receipt(self, pk):
        """Квитанція (PDF) of a payment taken at the desk, to print and hand over."""
        from ..services.documents import receipt

        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and item.source != "cash":
            flash(_("A receipt is printed for a payment taken at the cash desk only."), "warning")
            return redirect(url_for("PaymentView.show", pk=pk))
        return send_document(item, lambda payment: receipt.receipt_pdf(db.session, payment), receipt.file_name)

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        widgets["posting"] = payment_posting(item)
        widgets["posting"]["receipt"] = item.source == "cash"
        return widgets

    @expose("/reverse/<int:pk>", methods=["POST"])
    @has_access
    def reverse(self, pk):
        """Сторнування: the payment's entries cancelled in the open period, with the reason."""
        check_csrf()
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        user = request_user()
        try:
            entries = ledger.reverse_payment(db.session, item.id, request.form.get("reason", ""),
                                             user.username if user else None)
            db.session.commit()
        except ledger.LedgerError as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            flash(_("Payment %(id)s reversed: %(entries)s journal entries cancel it.", id=item.external_id,
                    entries=entries), "success")
        return redirect(url_for("PaymentView.show", pk=pk))


def payment_posting(item) -> dict:
    """The show page's part: the payment's journal entries (how it was spread), its reversal."""
    session = db.session
    rows = session.execute(ledger.entries_query(payment_id=item.id).add_columns(Service.code)
                           .outerjoin(Service, Service.id == JournalEntry.service_id)).all()
    return {
        "entries": list(reversed(rows)),
        "reversal": session.get(PaymentReversal, item.id),
        "kinds": JOURNAL_KINDS,
        "may_reverse": current_appbuilder().sm.has_access("can_reverse", "Payment"),
        "csrf_token": generate_csrf(),
    }


class PaymentApi(OblikApi):
    resource_name = "payment"
    class_permission_name = "Payment"
    base_permissions = FACT_PERMISSIONS
    include_route_methods = {"get", "get_list", "post", "info"}  # no PUT/DELETE routes, none in the spec
    datamodel = SQLAInterface(Payment)
    list_columns = show_columns = ["id", "external_id", "account.id", "account.account_number", "paid_on",
                                   "amount", "source", "created_by"]
    add_columns = ["external_id", "account", "paid_on", "amount", "source"]
    edit_columns = []
    search_columns = ["external_id", "account", "paid_on"]

    def pre_add(self, item):
        _stamp(item)
        super().pre_add(item)
        try:
            ledger.receive_payment(db.session, item, item.created_by)
        except ledger.LedgerError as refused:
            abort(self.response_422(message={"external_id": [str(refused)]}))


VIEWS = [(PaymentView, "Payment", _l("Payments"), "fa-hand-holding-usd")]
HIDDEN_VIEWS = []
APIS = [PaymentApi]
