"""Roles and who may see what — the one place that decides it.

Roles are Flask-AppBuilder *builtin* roles (``FAB_ROLES``): their permissions live here, in
code under review, not in rows an operator could edit by accident. Views and APIs share one
permission name per resource (``class_permission_name``) and the API methods map to the
same actions (list/show/add/edit/delete), so a role's rights are identical on screens and
on the REST API. Row-level restriction of inspectors lives in ``app.views.scope``.
"""
import re

ACTIONS_READ = ("can_list", "can_show")
ACTIONS_ALL = ("can_list", "can_show", "can_add", "can_edit", "can_delete")

CATALOG = ("Service", "Tariff", "TariffComponent", "Norm", "MeterType", "BenefitCategory",
           "NetworkNode", "NetworkScheme", "PublicHoliday")
SETTINGS = ("Organisation", "Setting", "MailTemplate")
REGISTRY = ("Building", "Premise", "Resident", "Registration", "Account", "AccountService",
            "Beneficiary")
METERING = ("Meter", "MeterEvent", "Reading", "GroupMeterPremise")
# Відомість показників (issue 12): open the sheet and its files (can_list), save it (can_add).
READING_SHEET = ("ReadingSheet",)
SHEET_RIGHTS = ("can_list", "can_add")
MONEY = ("Payment", "Subsidy", "Period", "OpeningBalance")
# Імпорт: who may open it; *what* a user may import is decided per row by the rights above
# (a kind needs ``can_add`` on its resource, an update ``can_edit``) and by the inspector's
# buildings — so an inspector imports readings of their own buildings only.
IMPORTS = ("Import",)
IMPORT_RIGHTS = ("can_list", "can_show", "can_add")
# Розрахунок: the billing screen (run, close), the journal, claim acts, area changes.
BILLING = ("Billing", "Journal", "ClaimAct", "ClaimActTarget", "AreaChange")
# Документи: restructuring agreements (operators draft, accountants approve, terminate, cancel),
# the list of missed instalments, penalty exemptions (the accountant's); write-off statements
# (operators draft, accountants approve and cancel).
DOCUMENTS = ("RestructuringAgreement", "MissedInstalments", "PenaltyExemption", "WriteOff")
# Рахунки на оплату: preview and download (can_list), build a period's invoices (can_build).
INVOICES = ("Invoices",)
# Розсилка: the delivery log of e-mails, sending the invoices, the mail settings.
MAIL = ("Mail",)
# Звіти (issue 11): the reports with money (accountant, operator, admin) and the work lists
# (verification due, readings missing) which inspectors get for their own buildings.
REPORTS = ("Reports", "WorkLists")
# Журнал змін (the audit log screen): the admin only (every permission). The history tab of a
# card is shown to whoever may see the card.
AUDIT = ("AuditLog",)
# Personal data (residents' and owners' names, РНОКПП, phones, e-mails, dates of birth): who may
# see it in the audit log; everyone else sees it masked. Not the inspector.
PERSONAL_DATA = "PersonalData"
CATEGORIES = ("Catalogs", "Registries", "Metering", "Money", "Imports", "Accruals", "Documents", "Reports", "Security")

ROLE_NAMES = ("admin", "accountant", "operator", "inspector")
ROLE_LABELS = {
    "admin": "Адміністратор",
    "accountant": "Бухгалтер",
    "operator": "Оператор",
    "inspector": "Контролер",
}

# What each role may do with each resource. admin has every permission (FAB admin role).
ROLE_RIGHTS: dict[str, dict[str, tuple[str, ...]]] = {
    "accountant": {
        **{r: ACTIONS_ALL for r in CATALOG + SETTINGS + REGISTRY + METERING},
        "ReadingSheet": SHEET_RIGHTS,
        # a payment is never edited or deleted: one recorded in error is reversed (Сторнування)
        "Payment": ("can_list", "can_show", "can_add", "can_reverse"),
        # вхідне сальдо: imported (and corrected by importing again) until the first period closes
        "OpeningBalance": ("can_list", "can_show", "can_add", "can_edit"),
        "Subsidy": ACTIONS_ALL,
        "Period": ("can_list", "can_show", "can_add"),
        "Import": IMPORT_RIGHTS,
        # the accountant runs the billing, closes periods and approves claim acts
        "Billing": ("can_list", "can_run", "can_close"),
        "Journal": ("can_list",),
        "ClaimAct": ACTIONS_ALL + ("can_approve",),
        "ClaimActTarget": ACTIONS_ALL,
        "AreaChange": ACTIONS_ALL,
        "RestructuringAgreement": ACTIONS_ALL + ("can_approve",),
        "MissedInstalments": ("can_list",),
        "PenaltyExemption": ACTIONS_ALL,
        "Invoices": ("can_list", "can_build"),
        # the accountant sends the invoices, resends a failed message and sets the mail server
        "Mail": ("can_list", "can_send", "can_settings"),
        "WriteOff": ACTIONS_ALL + ("can_approve", "can_cancel"),
        "Reports": ("can_list",),
        "WorkLists": ("can_list",),
        PERSONAL_DATA: ("can_show",),
    },
    "operator": {
        **{r: ACTIONS_READ for r in CATALOG},
        **{r: ACTIONS_ALL for r in REGISTRY + METERING},
        "ReadingSheet": SHEET_RIGHTS,
        "Payment": ("can_list", "can_show", "can_add"),
        "Subsidy": ACTIONS_READ,
        "Period": ACTIONS_READ,
        "Import": IMPORT_RIGHTS,
        # the operator sees the billing and the journal but neither runs nor closes; drafts
        # claim acts (an accountant approves them) and records area changes
        "Billing": ("can_list",),
        "Journal": ("can_list",),
        "ClaimAct": ACTIONS_ALL,
        "ClaimActTarget": ACTIONS_ALL,
        "AreaChange": ACTIONS_ALL,
        # drafts only: the service refuses to change an approved, terminated or cancelled agreement
        "RestructuringAgreement": ACTIONS_ALL,
        "MissedInstalments": ("can_list",),
        "PenaltyExemption": ACTIONS_READ,
        "Invoices": ("can_list",),
        "Mail": ("can_list",),  # sees the delivery log only
        # drafts write-off statements; an accountant approves them
        "WriteOff": ACTIONS_ALL,
        "Reports": ("can_list",),
        "WorkLists": ("can_list",),
        PERSONAL_DATA: ("can_show",),
    },
    "inspector": {
        "Building": ACTIONS_READ,
        "Premise": ACTIONS_READ,
        "Meter": ACTIONS_READ,
        "MeterEvent": ACTIONS_READ,
        "MeterType": ACTIONS_READ,
        "GroupMeterPremise": ACTIONS_READ,
        "Reading": ("can_list", "can_show", "can_add"),
        # the readings sheet of their buildings: their main screen
        "ReadingSheet": SHEET_RIGHTS,
        "Import": IMPORT_RIGHTS,
        # drafts claim acts of their own buildings (app/views/scope.py); never approves
        "ClaimAct": ("can_list", "can_show", "can_add", "can_edit", "can_delete"),
        "ClaimActTarget": ACTIONS_ALL,
        # the work lists of their buildings only; no report with money
        "WorkLists": ("can_list",),
    },
}

# Every signed-in user may see and edit their own profile and switch language.
COMMON = [
    (r"^(ResetMyPasswordView|UserInfoEditView)$", r"^can_this_form_(get|post)$"),
    (r"^(UserDBModelView|UserOAuthModelView|UserLDAPModelView)$", r"^(can_userinfo|resetmypassword|userinfoedit)$"),
    (r"^Lookup$", r"^can_lookup$"),
]

RESOURCE_CATEGORY = {
    **{r: "Catalogs" for r in CATALOG + SETTINGS},
    **{r: "Registries" for r in REGISTRY},
    **{r: "Metering" for r in METERING + READING_SHEET},
    **{r: "Money" for r in MONEY},
    **{r: "Imports" for r in IMPORTS},
    **{r: "Accruals" for r in BILLING + MAIL + INVOICES},
    **{r: "Documents" for r in DOCUMENTS},
    **{r: "Reports" for r in REPORTS},
    **{r: "Security" for r in AUDIT},
}


def menu_name(resource: str) -> str:
    """The menu entry of a resource has its own permission name (FAB keys menu_access by it)."""
    return f"{resource}Menu"


def builtin_roles() -> dict[str, list[tuple[str, str]]]:
    """``FAB_ROLES``: (view regex, permission regex) pairs per non-admin role."""
    roles = {}
    for role, rights in ROLE_RIGHTS.items():
        pairs = list(COMMON)
        categories = set()
        for resource, actions in rights.items():
            pairs.append((f"^{re.escape(resource)}$", "^(" + "|".join(actions) + ")$"))
            if "can_list" in actions:
                pairs.append((f"^{re.escape(menu_name(resource))}$", "^menu_access$"))
                categories.add(RESOURCE_CATEGORY[resource])
        for category in sorted(categories):
            pairs.append((f"^{category}$", "^menu_access$"))
        roles[role] = pairs
    # admin may do everything; as a builtin role it is answered from memory, not by a
    # permission query per menu entry on every page.
    roles["admin"] = [(".*", ".*")]
    return roles


def role_of(user) -> str | None:
    """The highest Oblik role of a user (admin > accountant > operator > inspector)."""
    names = {r.name for r in getattr(user, "roles", []) or []}
    for role in ROLE_NAMES:
        if role in names:
            return role
    return None


def is_inspector(user) -> bool:
    """True when the user's widest role is inspector: their data is limited to buildings."""
    return role_of(user) == "inspector"


def may_see_personal_data() -> bool:
    """May the signed-in user see personal data (``PERSONAL_DATA``) — in the audit log?"""
    from .extensions import current_appbuilder

    return bool(current_appbuilder().sm.has_access("can_show", PERSONAL_DATA))
