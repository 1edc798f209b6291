"""Оплати: payments as received facts — entered or imported, never edited or deleted."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from flask import abort

from ..extensions import db
from ..models import Payment
from ..services import ledger
from .base import OblikApi, OblikModelView
from .labels import LABELS
from .scope import request_user

FACT_PERMISSIONS = ["can_list", "can_show", "can_add"]


def _stamp(item):
    user = request_user()  # the browser's or the API token's
    if not item.created_by and user is not None:
        item.created_by = user.username


class PaymentView(OblikModelView):
    datamodel = SQLAInterface(Payment)
    class_permission_name = "Payment"
    base_permissions = FACT_PERMISSIONS
    label_columns = LABELS
    list_title = _l("Payments")
    show_title = add_title = _l("Payment")
    list_columns = ["external_id", "account", "paid_on", "amount", "source", "created_by"]
    add_columns = ["external_id", "account", "paid_on", "amount", "source"]
    show_columns = ["external_id", "account", "paid_on", "amount", "source", "created_by", "created_at"]
    search_columns = ["external_id", "account", "paid_on", "amount", "source"]
    order_columns = ["external_id", "paid_on", "amount"]
    base_order = ("paid_on", "desc")

    def pre_add(self, item):
        _stamp(item)
        ledger.receive_payment(db.session, item, item.created_by)  # posted in the same transaction


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
