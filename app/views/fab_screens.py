"""Flask-AppBuilder's own screens (users, roles, groups, permissions) as people read them: a
yes/no as «Так/Ні», a role by its Ukrainian name, a right as «Будинки: переглядати список» —
never a regular expression of ``FAB_ROLES``, a class name or ``can_list``. The names come from
one table (:data:`app.views.labels.PERMISSION_LABELS`, :data:`~app.views.labels.RESOURCE_LABELS`)."""
from flask_appbuilder.security.views import (
    PermissionModelView, PermissionViewModelView, RoleListWidget, RoleModelView, RoleShowWidget,
    UserDBModelView, UserGroupModelView, ViewMenuModelView,
)
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import DataRequired

from ..security import COMMON, ROLE_LABELS, ROLE_RIGHTS
from .formatting import format_datetime, format_yes_no
from .labels import permission_label, resource_label


def role_label(name) -> str:
    """A role by its Ukrainian name («Бухгалтер»); a role of the admin's own making by its name."""
    name = getattr(name, "name", name)
    return ROLE_LABELS.get(name, name) if name else ""


def roles_text(roles) -> str:
    return ", ".join(role_label(role) for role in roles or [])


def right_lines(pairs) -> list[tuple[str, str]]:
    """[(what, the actions)] of (resource, action) pairs, the resources in their first order."""
    by_resource: dict[str, list[str]] = {}
    for resource, action in pairs:
        actions = by_resource.setdefault(resource_label(resource), [])
        label = permission_label(action)
        if label not in actions:
            actions.append(label)
    return [(what, ", ".join(actions)) for what, actions in by_resource.items()]


def role_rights(name: str) -> list[tuple[str, str]]:
    """The rights of a builtin role (``app/security.py``) as lines people read."""
    if name == "admin":
        return [(gettext("Everything"), gettext("every right on every screen, the API and the security settings"))]
    rights = ROLE_RIGHTS.get(name)
    if rights is None:
        return []
    pairs = [(resource, action) for resource, actions in rights.items() for action in actions]
    lines = right_lines(pairs)
    if COMMON:
        lines.append((gettext("Every user"), gettext("own profile and password, the pickers of the forms")))
    return lines


def rights_markup(lines) -> Markup:
    return Markup("<ul class=\"oblik-rights\">{}</ul>").format(
        Markup("").join(Markup("<li><b>{}</b>: {}</li>").format(what, actions) for what, actions in lines))


def permissions_markup(permissions) -> Markup:
    """A role's own permission rows (a role made on the screen)."""
    return rights_markup(right_lines((pv.view_menu.name, pv.permission.name) for pv in permissions or []
                                     if pv.view_menu is not None and pv.permission is not None))


class OblikRoleListWidget(RoleListWidget):
    template = "oblik/fab/roles_list.html"


class OblikRoleShowWidget(RoleShowWidget):
    template = "oblik/fab/roles_show.html"


def permission_view_label(pv) -> str:
    """One permission row: «Будинки: переглядати список»."""
    return f"{resource_label(pv.view_menu.name)}: {permission_label(pv.permission.name)}"


def _permission_views():
    """Every permission row with its two names, in one query, by the label people read."""
    from flask import current_app
    from sqlalchemy.orm import joinedload

    sm = current_app.appbuilder.sm
    model = sm.permissionview_model
    rows = (current_app.appbuilder.session.query(model)
            .options(joinedload(model.permission), joinedload(model.view_menu)).all())
    return sorted(rows, key=permission_view_label)


def _roles():
    from flask import current_app

    sm = current_app.appbuilder.sm
    return sorted(current_app.appbuilder.session.query(sm.role_model).all(), key=role_label)


def _blank(value):
    return "" if value is None else value


class OblikUserDBModelView(UserDBModelView):
    class_permission_name = "UserDBModelView"  # the rights of app/security.py stay FAB's names
    formatters_columns = {
        "active": format_yes_no,
        "roles": roles_text,
        "last_login": format_datetime,
        "created_on": format_datetime,
        "changed_on": format_datetime,
        **{name: _blank for name in ("first_name", "last_name", "email", "created_by", "changed_by", "login_count",
                                     "fail_login_count", "groups")},
    }
    _role_fields = {
        "roles": QuerySelectMultipleField(_l("Role"), query_func=_roles, get_pk_func=lambda role: role.id,
                                          get_label=role_label, widget=Select2ManyWidget(),
                                          validators=[DataRequired()]),
    }
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, **_role_fields}
    edit_form_extra_fields = {**(UserDBModelView.edit_form_extra_fields or {}), **_role_fields}
    label_columns = {**UserDBModelView.label_columns, "groups": _l("Groups")}


class OblikRoleModelView(RoleModelView):
    class_permission_name = "RoleModelView"  # the rights of app/security.py stay FAB's names
    list_widget = OblikRoleListWidget
    show_widget = OblikRoleShowWidget
    formatters_columns = {"name": role_label, "permissions": permissions_markup}
    label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}
    search_columns = ["name"]
    add_form_extra_fields = edit_form_extra_fields = {
        "permissions": QuerySelectMultipleField(_l("Permissions"), query_func=_permission_views,
                                                get_pk_func=lambda pv: pv.id, get_label=permission_view_label,
                                                widget=Select2ManyWidget()),
    }


class OblikUserGroupModelView(UserGroupModelView):
    class_permission_name = "UserGroupModelView"  # the rights of app/security.py stay FAB's names
    label_columns = {
        "name": _l("Name"),
        "label": _l("Label"),
        "description": _l("Description"),
        "users": _l("Users"),
        "roles": _l("Roles"),
    }
    formatters_columns = {"roles": roles_text, "users": lambda users: ", ".join(u.username for u in users or []),
                          "label": _blank, "description": _blank}
    search_columns = ["name", "label", "description"]


class OblikPermissionModelView(PermissionModelView):
    class_permission_name = "PermissionModelView"  # the rights of app/security.py stay FAB's names
    search_columns = []
    list_columns = ["name"]
    formatters_columns = {"name": permission_label}


class OblikViewMenuModelView(ViewMenuModelView):
    class_permission_name = "ViewMenuModelView"  # the rights of app/security.py stay FAB's names
    search_columns = []
    list_columns = ["name"]
    formatters_columns = {"name": resource_label}


class OblikPermissionViewModelView(PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"  # the rights of app/security.py stay FAB's names
    label_columns = {**PermissionViewModelView.label_columns, "role": _l("Role")}
    search_columns = []
    formatters_columns = {
        "permission": lambda permission: permission_label(permission.name) if permission else "",
        "view_menu": lambda view_menu: resource_label(view_menu.name) if view_menu else "",
    }


def install(app) -> None:
    app.jinja_env.globals["oblik_role_rights"] = lambda name: rights_markup(role_rights(name))
    app.jinja_env.globals["oblik_role_label"] = role_label
    app.jinja_env.globals["oblik_permissions"] = permissions_markup
