"""Журнал змін: the admin's screen of the audit log (filters: table, record, user, date range,
action, source) and the «Історія змін» tab of every card. Personal data is masked for users
who may not see it (``security.may_see_personal_data``)."""
import re

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..extensions import db
from ..models import AuditLog
from ..models.choices import AUDIT_ACTIONS, AUDIT_SOURCES, Choices
from ..security import may_see_personal_data
from ..services import audit
from .base import TABLE_LABELS, OblikModelView
from .formatting import format_date, format_decimal, format_yes_no
from .labels import LABELS, setting_label

_TABLE_LABELS = {
    **TABLE_LABELS,
    "resident": _l("Residents"), "service": _l("Services"), "meter_type": _l("Meter types"),
    "benefit_category": _l("Benefit categories"), "organisation": _l("Organisation"),
    "setting": _l("Billing settings"), "ab_user": _l("Users"), "ab_role": _l("Roles"),
    "write_off": _l("Write-off statements"), "write_off_line": _l("Lines of write-off statements"),
}
AUDIT_TABLES = Choices(*((name, _TABLE_LABELS.get(name, name)) for name in sorted(audit.AUDITED)))

FIELD_LABELS = {
    **LABELS,
    "first_name": _l("First name"), "last_name": _l("Last name"), "username": _l("User name"),
    "password": _l("Password"), "active": _l("Active"), "roles": _l("Roles"), "permissions": _l("Permissions"),
    # write-off statements (app/models/write_offs.py)
    "doc_date": _l("Date"), "reason": _l("Reason"), "as_of": _l("Debts found on"),
    "limitation_months": _l("Limitation period, months"), "approved_by": _l("Approved by"),
    "approved_at": _l("Approved at"), "cancelled_by": _l("Cancelled by"), "cancelled_at": _l("Cancelled at"),
    "cancel_reason": _l("Reason of the cancellation"), "debt": _l("Debt at review"),
    "oldest_unpaid": _l("Oldest unpaid month"), "write_off_id": _l("Write-off statement"),
    "account_id": _l("Personal account"), "service_id": _l("Service"),
}
AUDIT_LABELS = {
    "at": _l("When"), "username": _l("User"), "source": _l("Source"), "table_name": _l("Table"),
    "record_id": _l("Record"), "record": _l("Record"), "action": _l("Action"), "change_set": _l("Changes"), "user_id": _l("User ID"),
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+\.\d+$")


def _choices_by_field() -> dict:
    """{(table, field): Choices} of every screen's closed lists (``choice_columns``): a code in
    the log is shown by its label («Зареєстрований», not ``registered``)."""
    from flask import current_app

    found = current_app.extensions.get("oblik_audit_choices")
    if found is None:
        found = {}
        for view in current_app.appbuilder.baseviews:
            choices = getattr(view, "choice_columns", None) or {}
            model = getattr(getattr(view, "datamodel", None), "obj", None)
            table = getattr(getattr(model, "__table__", None), "name", None)
            for field, values in choices.items():
                if table:
                    found.setdefault((table, field), values)
        current_app.extensions["oblik_audit_choices"] = found
    return found


def _field_label(field: str) -> str:
    """A field by its name; ``building_id`` as its record («Будинок»)."""
    label = FIELD_LABELS.get(field) or (FIELD_LABELS.get(field[:-3]) if field.endswith("_id") else None)
    return label if label is not None else field


def _shown(table_name: str, field: str, value) -> str:
    if isinstance(value, bool):
        return format_yes_no(value)
    choices = _choices_by_field().get((table_name, field))
    if choices is not None and isinstance(value, str) and value in choices.codes:
        return str(choices.label(value))
    if table_name == "setting" and field == "key" and isinstance(value, str):
        return setting_label(value)
    return _value(value)


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return format_yes_no(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, str) and _ISO_DATE.match(value):
        return f"{value[8:10]}.{value[5:7]}.{value[:4]}"
    if isinstance(value, str) and _NUMBER.match(value):
        from decimal import Decimal

        return format_decimal(Decimal(value))
    return str(value)


def changes_html(table_name: str, changes_json: str, may_see_personal: bool) -> Markup:
    """``field: old → new`` one a line, personal data masked unless allowed."""
    changes = audit.masked(table_name, audit.changes_from(changes_json), may_see_personal)
    lines = []
    for field, (old, new) in changes.items():
        lines.append(Markup("<b>{}</b>: {} → {}").format(_field_label(field), _shown(table_name, field, old),
                                                          _shown(table_name, field, new)))
    return Markup("<br>").join(lines) if lines else Markup("")


def history(table_name: str, record_id: int) -> list[dict]:
    """The «Історія змін» of one record, newest first, as the card shows it."""
    personal = may_see_personal_data()
    return [{
        "at": format_date(entry.at), "username": entry.username or "", "source": AUDIT_SOURCES.label(entry.source),
        "action": AUDIT_ACTIONS.label(entry.action), "changes": changes_html(entry.table_name, entry.changes, personal),
    } for entry in audit.history(db.session, [(table_name, record_id)])]


def _cards() -> dict:
    """{table: endpoint} of the card (show page) of each audited table (the first registered)."""
    from ..extensions import current_appbuilder

    found = {}
    for view in current_appbuilder().baseviews:
        if isinstance(view, OblikModelView) and view.show_history:
            found.setdefault(view.datamodel.obj.__table__.name, view)
    return found


def record_link(pair) -> Markup:
    """The record's ID, linked to its card when the user may open it (a deleted record's
    card answers 404: its values are in the row)."""
    from flask import url_for

    from ..extensions import current_appbuilder

    table_name, record_id = pair
    view = _cards().get(table_name)
    if view is None or not current_appbuilder().sm.has_access("can_show", view.class_permission_name):
        return Markup("{}").format(record_id)
    return Markup('<a href="{}">{}</a>').format(url_for(f"{view.endpoint}.show", pk=record_id), record_id)


class AuditLogView(OblikModelView):
    """Журнал змін: read-only (the log is append-only), for the admin."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_filters = []  # no building scope: the admin sees every row
    base_permissions = ["can_list", "can_show"]
    base_order = ("id", "desc")
    label_columns = AUDIT_LABELS
    list_title = show_title = _l("Audit log")
    list_columns = ["at", "username", "source", "table_name", "record", "action", "change_set"]
    show_columns = ["at", "username", "user_id", "source", "table_name", "record", "action", "change_set"]
    search_columns = ["table_name", "record_id", "username", "at", "action", "source"]
    order_columns = ["at", "username", "table_name"]
    choice_columns = {"table_name": AUDIT_TABLES, "action": AUDIT_ACTIONS, "source": AUDIT_SOURCES}
    formatters_columns = {
        "change_set": lambda pair: changes_html(pair[0], pair[1], may_see_personal_data()),
        "record": record_link,
    }
    show_history = False


