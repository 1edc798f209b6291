"""Registers every screen, API and menu entry, grouped as a utility accountant thinks."""
from flask_babel import lazy_gettext as _l

from . import (
    access, audit, billing, catalog, imports, invoices, mail, mail_templates, metering, money, reading_sheet,
    registry, reports,
    restructuring, statement, write_offs,
)
from ..security import menu_name
from .lookup import LookupView

CATEGORIES = [
    ("Catalogs", _l("Catalogs"), "fa-book", catalog),
    ("Catalogs", _l("Catalogs"), "fa-book", mail_templates),
    ("Registries", _l("Registries"), "fa-archive", registry),
    ("Metering", _l("Metering"), "fa-tachometer-alt", metering),
    ("Metering", _l("Metering"), "fa-tachometer-alt", reading_sheet),
    ("Money", _l("Payments"), "fa-money-bill", money),
    ("Imports", _l("Import"), "fa-file-import", imports),
    ("Accruals", _l("Billing"), "fa-calculator", billing),
    ("Accruals", _l("Billing"), "fa-calculator", statement),
    ("Accruals", _l("Billing"), "fa-calculator", invoices),
    ("Accruals", _l("Billing"), "fa-calculator", mail),
    ("Documents", _l("Documents"), "fa-file-signature", restructuring),
    ("Documents", _l("Documents"), "fa-file-signature", write_offs),
    ("Reports", _l("Reports"), "fa-chart-bar", reports),
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
    # «Звіти → Періоди»: the periods report on the generic screen (accountants, operators, the admin)
    appbuilder.add_link(menu_name("Reports"), href="/reports/periods/", label=_l("Periods"),
                        icon="fa-calendar-alt", category="Reports", category_label=_l("Reports"))
    appbuilder.add_view(access.InspectorBuildingView, menu_name("InspectorBuilding"), label=_l("Inspector buildings"),
                        icon="fa-user-shield", category="Security", category_label=_l("Security"))
    appbuilder.add_view(audit.AuditLogView, menu_name("AuditLog"), label=_l("Audit log"),
                        icon="fa-history", category="Security", category_label=_l("Security"))
    appbuilder.add_view_no_menu(LookupView)
    from .online_readings import OnlineReadingsView

    appbuilder.add_view_no_menu(OnlineReadingsView)  # public: the residents' readings page
    limit_api_login(appbuilder)
    protect_forms(appbuilder)
    from flask import current_app

    from ..services.concurrency import answer_busy

    answer_busy(current_app)


def limit_api_login(appbuilder):
    """FAB rate-limits only the login screen; ``POST /api/v1/security/login`` checks the same
    password and gets the same limit (``AUTH_RATE_LIMIT``), or it would invite guessing."""
    sm = appbuilder.sm
    if not sm.is_auth_limited:
        return
    for baseview in appbuilder.baseviews:
        if isinstance(baseview, sm.security_api):
            sm.limiter.limit(sm.auth_rate_limit, methods=["POST"])(baseview.blueprint)


def protect_forms(appbuilder):
    """``WTF_CSRF_ENABLED`` alone checks only WTForms forms: a delete (a bare POST, or a GET
    FAB still accepts when no CSRF extension is installed) went through without a token, and
    FAB's delete form carries ``csrf_token`` only when the extension is there. CSRFProtect
    checks every unsafe request of the screens; the REST API (token-authenticated,
    ``csrf_exempt``) stays exempt — FAB exempts APIs itself only once the extension exists."""
    from flask import current_app
    from flask_appbuilder.api import BaseApi
    from flask_wtf.csrf import CSRFProtect

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    csrf = CSRFProtect(current_app)
    for baseview in appbuilder.baseviews:
        if isinstance(baseview, BaseApi) and baseview.csrf_exempt and baseview.blueprint is not None:
            csrf.exempt(baseview.blueprint)
        if getattr(baseview, "token_bound", False) and baseview.blueprint is not None:  # a signed link's form
            csrf.exempt(baseview.blueprint)
