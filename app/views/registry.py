"""Реєстри: buildings, premises, residents, registrations, personal accounts, beneficiaries."""

from flask import redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Account, AccountService, Beneficiary, Building, Premise, Registration, Resident, Service,
)
from ..services import ledger
from ..validation.rules import settle_consent
from ..models.choices import (
    GAS_CATEGORIES, HEATING_KINDS, IMBALANCE_KEYS, PREMISE_KINDS, REGISTRATION_KINDS,
)
from .base import OblikApi, OblikModelView
from .formatting import format_money
from .labels import LABELS
from .billing import ClaimActTargetView
from .metering import HouseMeterView, MeterView


class RegistrationView(OblikModelView):
    datamodel = SQLAInterface(Registration)
    class_permission_name = "Registration"
    label_columns = LABELS
    list_title = _l("Registrations")
    show_title = add_title = edit_title = _l("Registration")
    list_columns = ["resident", "premise", "kind", "date_from", "date_to"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["resident", "premise", "kind", "date_from", "date_to"]
    order_columns = ["kind", "date_from", "date_to"]
    choice_columns = {"kind": REGISTRATION_KINDS}


class AccountServiceView(OblikModelView):
    datamodel = SQLAInterface(AccountService)
    class_permission_name = "AccountService"
    label_columns = LABELS
    list_title = _l("Account services")
    show_title = add_title = edit_title = _l("Account service")
    list_columns = ["account", "service", "date_from", "date_to", "quantity"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["account", "service", "date_from", "date_to"]
    order_columns = ["date_from", "date_to", "quantity"]


class BeneficiaryView(OblikModelView):
    datamodel = SQLAInterface(Beneficiary)
    class_permission_name = "Beneficiary"
    label_columns = LABELS
    list_title = _l("Beneficiaries")
    show_title = add_title = edit_title = _l("Beneficiary")
    list_columns = ["resident", "category", "entitled", "date_from", "date_to", "certificate"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["resident", "category", "date_from", "date_to"]
    order_columns = ["entitled", "date_from", "date_to"]


def format_balance(value) -> str:
    """A balance in a list: «Борг 120,00», «Переплата 35,50», «0,00»."""
    from flask_babel import gettext

    if value is None:
        return ""
    if value > 0:
        return f"{gettext('Debt')} {format_money(value)}"
    if value < 0:
        return f"{gettext('Advance')} {format_money(-value)}"
    return format_money(value)


class AccountView(OblikModelView):
    datamodel = SQLAInterface(Account)
    class_permission_name = "Account"
    label_columns = LABELS
    list_title = _l("Personal accounts")
    show_title = add_title = edit_title = _l("Personal account")
    list_columns = ["account_number", "owner_name", "premise", "opened_on", "closed_on"]
    add_columns = edit_columns = show_columns = [
        "account_number", "premise", "owner_name", "owner_rnokpp", "email", "einvoice_consent",
        "einvoice_consent_on", "phone", "opened_on", "closed_on"]
    search_columns = ["account_number", "owner_name", "premise", "email", "einvoice_consent", "phone", "opened_on",
                      "closed_on"]
    description_columns = {
        "einvoice_consent": _l("The owner agreed to receive the invoices by e-mail (the e-mail above is required)"),
        "einvoice_consent_on": _l("Empty: today when the consent is ticked; cleared when it is unticked"),
    }
    quick_search_hint = _l("Account number, owner, address (street, building, flat)")
    order_columns = ["account_number", "owner_name", "opened_on", "closed_on"]
    show_template = "oblik/account_show.html"
    extra_args = {"registration_kinds": REGISTRATION_KINDS}
    related_views = [AccountServiceView]

    def _get_list_widget(self, filters, **kwargs):
        """The list's «Сальдо» column: the balance today of the page's accounts, from the ledger
        in one set of statements for the whole page (ledger.totals), for who may see money."""
        widgets = super()._get_list_widget(filters, **kwargs)
        if not self.appbuilder.sm.has_access("can_list", "Journal"):
            return widgets
        args = widgets["list"].template_args
        found = ledger.totals(db.session, [pk for pk in args["pks"] if isinstance(pk, int)])
        args["value_columns"] = rows = list(args["value_columns"])  # FAB hands a generator
        for pk, values in zip(args["pks"], rows):
            values["balance"] = found.get(pk)
        args["include_columns"] = [*args["include_columns"], "balance"]
        args["label_columns"] = {**args["label_columns"], "balance": _l("Balance today, UAH")}
        args["formatters_columns"] = {**args["formatters_columns"], "balance": format_balance}
        return widgets

    def _get_show_widget(self, pk, item, **kwargs):
        from .account_card import account_card

        widgets = super()._get_show_widget(pk, item, **kwargs)
        widgets["card"] = account_card(item)
        widgets["item"] = item
        return widgets

    def _attach_errors(self, form, item) -> bool:
        """The consent's date settled as on every path (:func:`~app.validation.rules.settle_consent`)
        and shown so in the form if it comes back with an error."""
        settle_consent(item)
        field = form._fields.get("einvoice_consent_on")
        if field is not None:
            field.data, field.raw_data = item.einvoice_consent_on, None
        return super()._attach_errors(form, item)


class PremiseView(OblikModelView):
    datamodel = SQLAInterface(Premise)
    class_permission_name = "Premise"
    label_columns = LABELS
    list_title = _l("Premises")
    show_title = add_title = edit_title = _l("Premise")
    list_columns = ["building", "entrance", "number", "kind", "total_area", "heated_area", "heating"]
    add_columns = edit_columns = show_columns = [
        "building", "entrance", "number", "kind", "total_area", "heated_area", "heating", "gas_category"]
    search_columns = ["building", "entrance", "number", "kind", "total_area", "heating"]
    quick_search_hint = _l("Address: street, building, flat")
    order_columns = ["entrance", "number", "kind", "total_area", "heated_area"]
    choice_columns = {"kind": PREMISE_KINDS, "heating": HEATING_KINDS, "gas_category": GAS_CATEGORIES}
    related_views = [AccountView, MeterView, RegistrationView]


class BuildingView(OblikModelView):
    datamodel = SQLAInterface(Building)
    class_permission_name = "Building"
    label_columns = LABELS
    list_title = _l("Buildings")
    show_title = add_title = edit_title = _l("Building card")
    list_columns = ["code", "address", "floors", "heated_area", "network_node"]
    add_columns = edit_columns = show_columns = [
        "code", "address", "floors", "heated_area", "common_area", "network_node", "imbalance_key",
        "heat_system_share", "heat_common_share", "heat_min_share"]
    search_columns = ["code", "address", "floors", "network_node"]
    quick_search_hint = _l("Address or code")
    order_columns = ["code", "address", "floors", "heated_area"]
    choice_columns = {"imbalance_key": IMBALANCE_KEYS}
    related_views = [PremiseView, HouseMeterView, ClaimActTargetView]  # the claim acts covering it
    # the card's one action (a new claim act) needs only to see the building: an inspector starts
    # an act from the card of their own building (FAB checks each action's own permission)
    method_permission_name = {**OblikModelView.method_permission_name, "new_claim_act": "show", "action": "show",
                              "action_post": "show"}

    show_template = "oblik/building_show.html"

    def _get_show_widget(self, pk, item, **kwargs):
        from ..services.cards import building_totals

        widgets = super()._get_show_widget(pk, item, **kwargs)
        widgets["money"] = self.appbuilder.sm.has_access("can_list", "Journal")  # who may see money
        widgets["totals"] = building_totals(db.session, item.id, money=widgets["money"])
        return widgets

    @action("new_claim_act", _l("New claim act"), "", "fa-file-contract", multiple=False)
    def new_claim_act(self, item):
        """A claim act drafted from the building's card covers the building (ClaimActView.post_add)."""
        item = item[0] if isinstance(item, list) else item
        return redirect(url_for("ClaimActView.add", building=item.id))


class ResidentView(OblikModelView):
    datamodel = SQLAInterface(Resident)
    class_permission_name = "Resident"
    label_columns = LABELS
    list_title = _l("Residents")
    show_title = add_title = edit_title = _l("Resident")
    list_columns = ["resident_id", "full_name", "birth_date", "phone", "email"]
    add_columns = edit_columns = show_columns = ["resident_id", "full_name", "rnokpp", "birth_date", "phone", "email"]
    search_columns = ["resident_id", "full_name", "rnokpp", "birth_date", "phone", "email"]
    quick_search_hint = _l("Name, resident code or РНОКПП")
    order_columns = ["resident_id", "full_name", "birth_date"]
    related_views = [RegistrationView, BeneficiaryView]


class BuildingApi(OblikApi):
    resource_name = "building"
    class_permission_name = "Building"
    datamodel = SQLAInterface(Building)
    list_columns = show_columns = ["id", "code", "address", "floors", "heated_area", "common_area",
                                   "imbalance_key", "heat_system_share", "heat_common_share",
                                   "heat_min_share", "network_node.id"]
    add_columns = edit_columns = ["code", "address", "floors", "heated_area", "common_area",
                                  "imbalance_key", "heat_system_share", "heat_common_share",
                                  "heat_min_share", "network_node"]
    search_columns = ["code", "address"]


class PremiseApi(OblikApi):
    resource_name = "premise"
    class_permission_name = "Premise"
    datamodel = SQLAInterface(Premise)
    list_columns = show_columns = ["id", "building.id", "building.code", "entrance", "number", "kind", "total_area",
                                   "heated_area", "heating", "gas_category"]
    add_columns = edit_columns = ["building", "entrance", "number", "kind", "total_area", "heated_area", "heating",
                                  "gas_category"]
    search_columns = ["building", "number", "kind"]


class ResidentApi(OblikApi):
    resource_name = "resident"
    class_permission_name = "Resident"
    datamodel = SQLAInterface(Resident)
    list_columns = show_columns = ["id", "resident_id", "full_name", "rnokpp", "birth_date", "phone", "email"]
    add_columns = edit_columns = ["resident_id", "full_name", "rnokpp", "birth_date", "phone", "email"]
    search_columns = ["resident_id", "full_name", "rnokpp"]


class AccountApi(OblikApi):
    resource_name = "account"
    class_permission_name = "Account"
    datamodel = SQLAInterface(Account)
    list_columns = show_columns = ["id", "account_number", "premise.id", "owner_name", "owner_rnokpp",
                                   "email", "einvoice_consent", "einvoice_consent_on", "phone", "opened_on",
                                   "closed_on"]
    add_columns = edit_columns = ["account_number", "premise", "owner_name", "owner_rnokpp", "email",
                                  "einvoice_consent", "einvoice_consent_on", "phone", "opened_on", "closed_on"]
    search_columns = ["account_number", "owner_name", "premise"]

    computed_fields = ("balance", "balance_by_service")

    # The consent's date settled as on every path: ticked without a date — today (or the date
    # of a consent given before), unticked — none (:func:`~app.validation.rules.settle_consent`).
    def pre_add(self, item):
        settle_consent(item)
        super().pre_add(item)

    def pre_update(self, item):
        settle_consent(item)
        super().pre_update(item)

    # The balance now, from the ledger (closed periods + what is recorded in the open one), for
    # the users who may see money (the journal): ``balance`` and ``balance_by_service`` {service
    # code or "" for the account as a whole: amount}, as decimal strings.
    def pre_get(self, data):
        if "id" in data and isinstance(data.get("result"), dict):
            self._add_balances([data["id"]], [data["result"]])

    def pre_get_list(self, data):
        self._add_balances(data.get("ids") or [], data.get("result") or [])

    def _add_balances(self, ids, results):
        if not ids or not self.appbuilder.sm.has_access("can_list", "Journal"):
            return
        session = db.session
        found = ledger.account_books(session, ids)  # the whole page at once, as the card's figure
        codes = dict(session.execute(select(Service.id, Service.code)).all())
        for account_id, result in zip(ids, results):
            book, balance = found[account_id]
            result["balance"] = str(balance)
            result["balance_by_service"] = {codes.get(s, "") if s else "": str(a) for s, a in
                                            sorted(book.items(), key=lambda kv: codes.get(kv[0], "") if kv[0] else "")}


VIEWS = [
    (BuildingView, "Building", _l("Buildings"), "fa-city"),
    (PremiseView, "Premise", _l("Premises"), "fa-door-open"),
    (ResidentView, "Resident", _l("Residents"), "fa-users"),
    (RegistrationView, "Registration", _l("Registrations"), "fa-id-card"),
    (AccountView, "Account", _l("Personal accounts"), "fa-address-book"),
    (BeneficiaryView, "Beneficiary", _l("Beneficiaries"), "fa-hand-holding-heart"),
]
HIDDEN_VIEWS = [AccountServiceView]
APIS = [BuildingApi, PremiseApi, ResidentApi, AccountApi]
