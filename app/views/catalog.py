"""Довідники: services, price lists, norms, meter types, benefit categories, the
communication scheme, the provider and dated settings."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.widgets import TextArea

from ..models import (
    BenefitCategory, MeterType, NetworkNode, Norm, Organisation, Service, Setting, Tariff,
    TariffComponent,
)
from ..models.choices import AREA_BASES, CHARGING_METHODS, METER_RESOURCES, NODE_KINDS, RESOURCES
from ..validation.rules import INVOICE_NOTICE_MAX
from .base import OblikApi, OblikModelView
from .labels import LABELS


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
    datamodel = SQLAInterface(NetworkNode)
    class_permission_name = "NetworkNode"
    label_columns = LABELS
    list_title = _l("Network nodes")
    show_title = add_title = edit_title = _l("Network node")
    list_columns = ["code", "name", "kind", "parent"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["code", "name", "kind"]
    order_columns = ["code", "name", "kind"]
    choice_columns = {"kind": NODE_KINDS}


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


class SettingView(OblikModelView):
    datamodel = SQLAInterface(Setting)
    class_permission_name = "Setting"
    label_columns = LABELS
    list_title = _l("Billing settings")
    show_title = add_title = edit_title = _l("Billing setting")
    list_columns = ["key", "valid_from", "value", "description"]
    formatters_columns = {"description": lambda text: gettext(text) if text else ""}
    add_columns = edit_columns = show_columns = list_columns
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
    (OrganisationView, "Organisation", _l("Organisation"), "fa-building"),
    (SettingView, "Setting", _l("Billing settings"), "fa-sliders-h"),
]
HIDDEN_VIEWS = [TariffComponentView]
APIS = [ServiceApi, TariffApi]
