"""Registers every screen, API and menu entry, grouped as a utility accountant thinks."""
from flask_babel import lazy_gettext as _l

from . import access, catalog, metering, money, registry
from ..security import menu_name
from .lookup import LookupView

CATEGORIES = [
    ("Catalogs", _l("Catalogs"), "fa-book", catalog),
    ("Registries", _l("Registries"), "fa-archive", registry),
    ("Metering", _l("Metering"), "fa-tachometer-alt", metering),
    ("Money", _l("Payments"), "fa-money-bill", money),
]


def register_views(appbuilder):
    for category, category_label, category_icon, module in CATEGORIES:
        for view, name, label, icon in module.VIEWS:
            appbuilder.add_view(view, menu_name(name), label=label, icon=icon, category=category,
                                category_label=category_label, category_icon=category_icon)
        for view in module.HIDDEN_VIEWS:
            appbuilder.add_view_no_menu(view)
        for api in module.APIS:
            appbuilder.add_api(api)
    appbuilder.add_view(access.InspectorBuildingView, menu_name("InspectorBuilding"), label=_l("Inspector buildings"),
                        icon="fa-user-shield", category="Security", category_label=_l("Security"))
    appbuilder.add_view_no_menu(LookupView)
    limit_api_login(appbuilder)


def limit_api_login(appbuilder):
    """FAB rate-limits only the login screen; ``POST /api/v1/security/login`` checks the same
    password and gets the same limit (``AUTH_RATE_LIMIT``), or it would invite guessing."""
    sm = appbuilder.sm
    if not sm.is_auth_limited:
        return
    for baseview in appbuilder.baseviews:
        if isinstance(baseview, sm.security_api):
            sm.limiter.limit(sm.auth_rate_limit, methods=["POST"])(baseview.blueprint)
