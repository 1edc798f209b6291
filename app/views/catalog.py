"""Довідники: services, price lists, norms, meter types, benefit categories, the
communication scheme, the provider and dated settings."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.widgets import TextArea

from ..extensions import db
from ..models import (
    BenefitCategory, Building, MeterType, NetworkNode, Norm, Organisation, PublicHoliday, Service, Setting, Tariff,
    TariffComponent,
)
from ..models.choices import AREA_BASES, CHARGING_METHODS, METER_RESOURCES, NODE_KINDS, RESOURCES
from ..validation.rules import INVOICE_NOTICE_MAX
from .base import OblikApi, OblikModelView
from .csrf import check_csrf
from .fields import ChoiceField, SettingValueField, format_setting_value
from .labels import LABELS, setting_choices, setting_label


class ServiceView(OblikModelView):
    datamodel = SQLAInterface(Service)
    class_permission_name = "Service"
    label_columns = LABELS
    list_title = _l("Services")
    show_title = add_title = edit_title = _l("Service")
    list_columns = ["code", "name", "unit", "method", "resource", "area_basis", "quantity_precision"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["code", "name", "method", "resource"]
    order_columns = ["code", "name", "method"]
    choice_columns = {"method": CHARGING_METHODS, "resource": RESOURCES, "area_basis": AREA_BASES}


class TariffComponentView(OblikModelView):
    datamodel = SQLAInterface(TariffComponent)
    class_permission_name = "TariffComponent"
    label_columns = LABELS
    list_title = _l("Tariff components")
    show_title = add_title = edit_title = _l("Tariff component")
    list_columns = ["tariff", "name", "price"]
    add_columns = edit_columns = show_columns = list_columns


class TariffView(OblikModelView):
    datamodel = SQLAInterface(Tariff)
    class_permission_name = "Tariff"
    label_columns = LABELS
    list_title = _l("Price lists")
    show_title = add_title = edit_title = _l("Price list entry")
    list_columns = ["service", "valid_from", "price"]
    add_columns = edit_columns = list_columns
    show_columns = ["service", "valid_from", "price", "components"]
    search_columns = ["service", "valid_from", "price"]
    order_columns = ["valid_from", "price"]
    related_views = [TariffComponentView]


class NormView(OblikModelView):
    datamodel = SQLAInterface(Norm)
    class_permission_name = "Norm"
    label_columns = LABELS
    list_title = _l("Consumption norms")
    show_title = add_title = edit_title = _l("Consumption norm")
    list_columns = ["service", "valid_from", "norm_per_person"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["service", "valid_from"]
    order_columns = ["valid_from", "norm_per_person"]


class MeterTypeView(OblikModelView):
    datamodel = SQLAInterface(MeterType)
    class_permission_name = "MeterType"
    label_columns = LABELS
    list_title = _l("Meter types")
    show_title = add_title = edit_title = _l("Meter type")
    list_columns = ["code", "name", "resource", "digits", "verification_years"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["code", "name", "resource"]
    order_columns = ["code", "name", "resource"]
    choice_columns = {"resource": METER_RESOURCES}


class BenefitCategoryView(OblikModelView):
    datamodel = SQLAInterface(BenefitCategory)
    class_permission_name = "BenefitCategory"
    label_columns = LABELS
    list_title = _l("Benefit categories")
    show_title = add_title = edit_title = _l("Benefit category")
    list_columns = ["code", "name", "pct"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["code", "name"]
    order_columns = ["code", "name", "pct"]


class NetworkNodeView(OblikModelView):
    """A node of the communication scheme; its parent is where it gets the service from (a
    loop is refused by the validator). The tree: :class:`NetworkSchemeView`."""

    datamodel = SQLAInterface(NetworkNode)
    class_permission_name = "NetworkNode"
    # the one action (an outage act) needs only to see the node; the outage form checks ClaimAct can_add
    method_permission_name = {**OblikModelView.method_permission_name, "outage": "show", "action": "show",
                              "action_post": "show"}
    label_columns = {**LABELS, "meter": _l("The node's own meter")}
    description_columns = {"meter": _l("Compared with the house meters of the node's buildings: the network's losses"),
                           "parent": _l("Where the node gets the service from; changing it moves the node")}
    list_title = _l("Network nodes")
    show_title = add_title = edit_title = _l("Network node")
    list_columns = ["code", "name", "kind", "parent"]
    add_columns = edit_columns = show_columns = list_columns + ["meter"]
    search_columns = ["code", "name", "kind"]
    order_columns = ["code", "name", "kind"]
    choice_columns = {"kind": NODE_KINDS}

    @action("outage", _l("Outage act"), "", "fa-bolt", multiple=False)
    def outage(self, item):
        item = item[0] if isinstance(item, list) else item
        return redirect(url_for("NetworkSchemeView.outage", pk=item.id))


class NetworkSchemeView(BaseView):
    """Схема комунікацій as a tree (котельня → тепловий пункт → будинки): each node with its
    buildings and their number of accounts; add a child, edit or move a node (its form), and
    draw up an outage act on a node (every building downstream)."""

    route_base = "/scheme"
    default_view = "tree"
    class_permission_name = "NetworkScheme"
    method_permission_name = {"tree": "list", "outage": "list"}

    @expose("/")
    @has_access
    def tree(self):
        from ..services.claim_acts import scheme

        roots = scheme(db.session)
        unplaced = db.session.scalar(select(func.count(Building.id)).where(Building.network_node_id.is_(None)))
        return self.render_template("oblik/scheme.html", roots=roots, unplaced=unplaced, kinds=NODE_KINDS.labels,
                                    may_edit=self.appbuilder.sm.has_access("can_edit", "NetworkNode"),
                                    may_add=self.appbuilder.sm.has_access("can_add", "NetworkNode"),
                                    may_outage=self.appbuilder.sm.has_access("can_add", "ClaimAct"))

    @expose("/outage/<int:pk>", methods=["GET", "POST"])
    @has_access
    def outage(self, pk):
        from ..billing.periods import parse_date
        from ..services.claim_acts import create_outage, downstream_buildings

        node = db.session.get(NetworkNode, pk)
        if node is None:
            abort(404)
        if not self.appbuilder.sm.has_access("can_add", "ClaimAct"):
            abort(403)
        services = list(db.session.execute(select(Service.id, Service.code, Service.name).order_by(Service.code)
                                           .limit(200)).all())
        buildings = downstream_buildings(db.session, node.id)
        errors, values = {}, dict(request.form) if request.method == "POST" else {}
        if request.method == "POST":
            check_csrf()
            dates = {}
            for name in ("act_date", "date_from", "date_to"):
                try:
                    dates[name] = parse_date(values.get(name, ""))
                except ValueError:
                    errors[name] = gettext("Write a date as dd.mm.yyyy")
            service_id = request.form.get("service", type=int)
            if service_id not in {s.id for s in services}:
                errors["service"] = gettext("Choose the service")
            if not errors and dates["date_to"] < dates["date_from"]:
                errors["date_to"] = gettext("The end date cannot be earlier than the start date")
            if not buildings:
                errors["node"] = gettext("No building is downstream of this node: the act would cover nothing")
            if not errors:
                act = create_outage(db.session, node, service_id, dates["date_from"], dates["date_to"],
                                    getattr(current_user, "username", None), act_date=dates["act_date"],
                                    note=(request.form.get("note") or "").strip()[:2000] or None)
                db.session.commit()
                flash(gettext("Outage act %(number)s drawn up as a draft: %(count)s buildings downstream of the "
                              "node. An accountant approves it.", number=act.number, count=len(buildings)),
                      "success")
                return redirect(url_for("ClaimActView.show", pk=act.id))
        return self.render_template("oblik/outage.html", node=node, services=services, errors=errors,
                                    values=values, building_count=len(buildings), csrf_token=generate_csrf())


class NoticeWidget(TextArea):
    """The invoice notice: a textarea tall enough for its few paragraphs."""

    def __call__(self, field, **kwargs):
        kwargs["class"] = "form-control"
        kwargs["rows"] = 10
        kwargs["maxlength"] = INVOICE_NOTICE_MAX
        return super().__call__(field, **kwargs)


class NoticeField(TextAreaField):
    """Line breaks stored as ``\n`` (a browser posts ``\r\n``, and counts it as one character
    against ``maxlength``, as the length rule then does); nothing but spaces is no notice."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").strip() or None


class OrganisationView(OblikModelView):
    datamodel = SQLAInterface(Organisation)
    class_permission_name = "Organisation"
    label_columns = LABELS
    list_title = _l("Organisation")
    show_title = add_title = edit_title = _l("Organisation")
    list_columns = ["name", "edrpou", "iban", "bank_name"]
    add_columns = edit_columns = show_columns = [
        "name", "edrpou", "iban", "bank_name", "address", "phone", "email", "website", "working_hours",
        "invoice_notice"]
    description_columns = {
        "working_hours": _l("Printed on every invoice, e.g. «пн–чт 8:00–17:00, пт 8:00–16:00, обід 12:00–13:00»"),
        "invoice_notice": _l("The notice area of every invoice: announcements, how to submit readings, how to "
                             "dispute a charge (at most %(length)s characters)", length=INVOICE_NOTICE_MAX),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "invoice_notice": NoticeField(LABELS["invoice_notice"], widget=NoticeWidget(),
                                        description=description_columns["invoice_notice"]),
    }


class PublicHolidayView(OblikModelView):
    """Public holidays: the claim acts' deadlines (5 working days) skip them."""

    datamodel = SQLAInterface(PublicHoliday)
    class_permission_name = "PublicHoliday"
    label_columns = {**LABELS, "day": _l("Day"), "name": _l("Holiday")}
    list_title = _l("Public holidays")
    show_title = add_title = edit_title = _l("Public holiday")
    list_columns = add_columns = edit_columns = show_columns = ["day", "name"]
    search_columns = ["day", "name"]
    order_columns = ["day"]
    base_order = ("day", "desc")


class SettingView(OblikModelView):
    datamodel = SQLAInterface(Setting)
    class_permission_name = "Setting"
    label_columns = LABELS
    list_title = _l("Billing settings")
    show_title = add_title = edit_title = _l("Billing setting")
    list_columns = ["key", "valid_from", "value", "description"]
    formatters_columns = {"description": lambda text: gettext(text) if text else "",
                          "key": setting_label, "value": format_setting_value}
    add_columns = edit_columns = show_columns = list_columns
    add_form_extra_fields = edit_form_extra_fields = {
        "key": ChoiceField(LABELS["key"], validators=[DataRequired()], choices=setting_choices()),
        "value": SettingValueField(_l("Value"), validators=[DataRequired()],
                                   description=_l("A number; a decimal comma: 10,5")),
    }
    search_columns = ["key", "valid_from"]
    order_columns = ["key", "valid_from"]


class ServiceApi(OblikApi):
    resource_name = "service"
    class_permission_name = "Service"
    datamodel = SQLAInterface(Service)
    list_columns = show_columns = ["id", "code", "name", "unit", "method", "resource", "area_basis", "quantity_precision"]
    add_columns = edit_columns = ["code", "name", "unit", "method", "resource", "area_basis", "quantity_precision"]
    search_columns = ["code", "name", "method"]


class TariffApi(OblikApi):
    resource_name = "tariff"
    class_permission_name = "Tariff"
    datamodel = SQLAInterface(Tariff)
    list_columns = show_columns = ["id", "service.id", "service.code", "valid_from", "price"]
    add_columns = edit_columns = ["service", "valid_from", "price"]
    search_columns = ["service", "valid_from"]


VIEWS = [
    (ServiceView, "Service", _l("Services"), "fa-list"),
    (TariffView, "Tariff", _l("Price lists"), "fa-money-bill"),
    (NormView, "Norm", _l("Consumption norms"), "fa-tint"),
    (MeterTypeView, "MeterType", _l("Meter types"), "fa-tachometer-alt"),
    (BenefitCategoryView, "BenefitCategory", _l("Benefit categories"), "fa-percent"),
    (NetworkNodeView, "NetworkNode", _l("Network nodes"), "fa-project-diagram"),
    (NetworkSchemeView, "NetworkScheme", _l("Communication scheme"), "fa-sitemap"),
    (PublicHolidayView, "PublicHoliday", _l("Public holidays"), "fa-calendar-day"),
    (OrganisationView, "Organisation", _l("Organisation"), "fa-building"),
    (SettingView, "Setting", _l("Billing settings"), "fa-sliders-h"),
]
HIDDEN_VIEWS = [TariffComponentView]
APIS = [ServiceApi, TariffApi]
