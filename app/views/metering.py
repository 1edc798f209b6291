"""Облік: the meter card file, house meters, readings and group metering."""
import json

from flask import flash, g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect as sa_inspect

from ..extensions import db
from ..models import GroupMeterPremise, Meter, MeterEvent, Reading
from ..models.choices import METER_EVENT_KINDS, READING_SOURCES
from ..validation.readings import closed_period_notice, period_states
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


READING_FIELDS = ("meter", "date", "value", "source")


def _stamp_reading(item):
    user = request_user()  # the browser's or the API token's
    if not item.entered_by and user is not None:
        item.entered_by = user.username


def _stamp_edit(item):
    """An edit that changes the reading records who and when; the author (``entered_by``)
    stays. Saving the form unchanged is no edit."""
    state = sa_inspect(item)
    if not any(_changed(state.attrs[name].history) for name in READING_FIELDS):
        return
    user = request_user()
    item.edited_by = user.username if user is not None else None
    item.edited_at = func.now()  # the database's clock, as entered_at


def _changed(history) -> bool:
    """A form or the API sets every field: an attribute set to its own value is no change."""
    return bool(history.added) and list(history.added) != list(history.deleted)


def _note_closed_period(item):
    """Remember, for the response, that the reading falls in a closed period (its new date, or
    the date it had before the edit): accepted, and that period is recalculated."""
    history = sa_inspect(item).attrs["date"].history
    days = [item.date, *(history.deleted or ())]
    with db.session.no_autoflush:  # the edit's history is still needed (``_stamp_edit``)
        states = period_states(db.session)
    g.oblik_reading_notice = closed_period_notice(days, *states)


class ReadingView(OblikModelView):
    datamodel = SQLAInterface(Reading)
    class_permission_name = "Reading"
    label_columns = LABELS
    list_title = _l("Meter readings")
    show_title = add_title = edit_title = _l("Meter reading")
    list_columns = ["meter", "date", "value", "source", "entered_by", "edited_by", "edited_at"]
    add_columns = edit_columns = list(READING_FIELDS)
    show_columns = ["meter", "date", "value", "source", "entered_by", "entered_at", "edited_by", "edited_at"]
    search_columns = ["meter", "date", "value", "source"]
    order_columns = ["date", "value", "source"]
    base_order = ("date", "desc")
    choice_columns = {"source": READING_SOURCES}

    def pre_add(self, item):
        _stamp_reading(item)
        _note_closed_period(item)

    def pre_update(self, item):
        _stamp_edit(item)
        _note_closed_period(item)

    def post_add(self, item):
        self._flash_notice()

    def post_update(self, item):
        self._flash_notice()

    @staticmethod
    def _flash_notice():
        notice = g.pop("oblik_reading_notice", None)
        if notice:
            flash(notice, "warning")


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
    quick_search_hint = _l("Serial, address or account number")
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
    """Readings. A created or changed reading's answer (``POST``, ``PUT``) carries
    ``"warnings"``: a list of messages — e.g. that the reading is dated in a closed period,
    which is recalculated in the open one — empty when there is nothing to say."""

    resource_name = "reading"
    class_permission_name = "Reading"
    datamodel = SQLAInterface(Reading)
    list_columns = show_columns = ["id", "meter.id", "meter.serial", "date", "value", "source", "entered_by",
                                   "entered_at", "edited_by", "edited_at"]
    add_columns = edit_columns = list(READING_FIELDS)
    search_columns = ["meter", "date", "source"]
    base_order = ("date", "desc")

    def pre_add(self, item):
        if not item.source:
            item.source = "inspector"
        _stamp_reading(item)
        super().pre_add(item)
        _note_closed_period(item)

    def pre_update(self, item):
        _stamp_edit(item)
        _note_closed_period(item)
        super().pre_update(item)

    def post_headless(self):
        return _with_warnings(super().post_headless())

    def put_headless(self, pk):
        return _with_warnings(super().put_headless(pk))


def _with_warnings(response):
    """Add ``"warnings"`` to the JSON answer of a reading saved."""
    notice = g.pop("oblik_reading_notice", None)
    if response.status_code not in (200, 201) or not response.is_json:
        return response
    body = response.get_json()
    body["warnings"] = [notice] if notice else []
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


VIEWS = [
    (MeterView, "Meter", _l("Meter card file"), "fa-tachometer-alt"),
    (ReadingView, "Reading", _l("Meter readings"), "fa-edit"),
    (GroupMeterPremiseView, "GroupMeterPremise", _l("Group metering"), "fa-sitemap"),
]
HIDDEN_VIEWS = [MeterEventView, HouseMeterView]
APIS = [MeterApi, ReadingApi]
