"""Облік: the meter card file, house meters, readings and group metering."""
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..models import GroupMeterPremise, Meter, MeterEvent, Reading
from ..models.choices import METER_EVENT_KINDS, READING_SOURCES
from .base import OblikApi, OblikModelView
from .labels import LABELS
from .scope import BuildingScopeFilter, request_user


class HouseMetersOnly(BaseFilter):
    name = "House meters"

    def apply(self, query, value):
        return query.filter(Meter.premise_id.is_(None))


class MeterEventView(OblikModelView):
    datamodel = SQLAInterface(MeterEvent)
    class_permission_name = "MeterEvent"
    label_columns = LABELS
    list_title = _l("Meter history")
    show_title = add_title = edit_title = _l("Meter event")
    list_columns = ["meter", "date", "kind", "reading", "document", "note"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["meter", "date", "kind"]
    order_columns = ["date", "kind"]
    base_order = ("date", "desc")
    choice_columns = {"kind": METER_EVENT_KINDS}


def _stamp_reading(item):
    user = request_user()  # the browser's or the API token's
    if not item.entered_by and user is not None:
        item.entered_by = user.username


class ReadingView(OblikModelView):
    datamodel = SQLAInterface(Reading)
    class_permission_name = "Reading"
    label_columns = LABELS
    list_title = _l("Meter readings")
    show_title = add_title = edit_title = _l("Meter reading")
    list_columns = ["meter", "date", "value", "source", "entered_by"]
    add_columns = edit_columns = ["meter", "date", "value", "source"]
    show_columns = ["meter", "date", "value", "source", "entered_by", "entered_at"]
    search_columns = ["meter", "date", "value", "source"]
    order_columns = ["date", "value", "source"]
    base_order = ("date", "desc")
    choice_columns = {"source": READING_SOURCES}

    def pre_add(self, item):
        _stamp_reading(item)


class MeterView(OblikModelView):
    datamodel = SQLAInterface(Meter)
    class_permission_name = "Meter"
    label_columns = LABELS
    list_title = _l("Meter card file")
    show_title = add_title = edit_title = _l("Meter")
    list_columns = ["serial", "meter_type", "building", "premise", "installed_on", "removed_on", "next_verification"]
    add_columns = edit_columns = show_columns = [
        "serial", "meter_type", "building", "premise", "installed_on", "initial_reading", "removed_on",
        "final_reading", "verified_on", "next_verification", "seal_number", "sealed_on"]
    search_columns = ["serial", "meter_type", "building", "premise", "installed_on", "removed_on", "next_verification"]
    order_columns = ["serial", "installed_on", "removed_on", "next_verification"]
    related_views = [ReadingView, MeterEventView]
    description_columns = {"premise": _l("Leave empty for a house meter")}

    def prefill_add(self, form):
        """A meter added from the premise card is in the premise's building."""
        premise = form.premise.data
        if premise is not None and form.building.data is None:
            form.building.data = premise.building


class HouseMeterView(MeterView):
    list_title = _l("House meters")
    base_filters = [["id", BuildingScopeFilter, None], ["premise_id", HouseMetersOnly, None]]


class GroupMeterPremiseView(OblikModelView):
    datamodel = SQLAInterface(GroupMeterPremise)
    class_permission_name = "GroupMeterPremise"
    label_columns = LABELS
    list_title = _l("Group metering")
    show_title = add_title = edit_title = _l("Premise served by a house meter")
    list_columns = ["meter", "premise"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["meter", "premise"]
    description_columns = {"meter": _l("A house meter with no premises listed here serves its whole building")}


class MeterApi(OblikApi):
    resource_name = "meter"
    class_permission_name = "Meter"
    datamodel = SQLAInterface(Meter)
    list_columns = show_columns = [
        "id", "serial", "meter_type.id", "meter_type.code", "building.id", "premise.id", "installed_on",
        "initial_reading", "removed_on", "final_reading", "verified_on", "next_verification"]
    add_columns = edit_columns = [
        "serial", "meter_type", "building", "premise", "installed_on", "initial_reading", "removed_on",
        "final_reading", "verified_on", "next_verification", "seal_number", "sealed_on"]
    search_columns = ["serial", "building", "premise"]


class ReadingApi(OblikApi):
    resource_name = "reading"
    class_permission_name = "Reading"
    datamodel = SQLAInterface(Reading)
    list_columns = show_columns = ["id", "meter.id", "meter.serial", "date", "value", "source", "entered_by"]
    add_columns = edit_columns = ["meter", "date", "value", "source"]
    search_columns = ["meter", "date", "source"]
    base_order = ("date", "desc")

    def pre_add(self, item):
        if not item.source:
            item.source = "inspector"
        _stamp_reading(item)
        super().pre_add(item)


VIEWS = [
    (MeterView, "Meter", _l("Meter card file"), "fa-tachometer-alt"),
    (ReadingView, "Reading", _l("Meter readings"), "fa-edit"),
    (GroupMeterPremiseView, "GroupMeterPremise", _l("Group metering"), "fa-sitemap"),
]
HIDDEN_VIEWS = [MeterEventView, HouseMeterView]
APIS = [MeterApi, ReadingApi]
