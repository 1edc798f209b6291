"""Column labels shared by every screen and API (English msgids, Ukrainian in translations)."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "id": _l("ID"),
    "code": _l("Code"),
    "name": _l("Name"),
    "address": _l("Address"),
    "floors": _l("Floors"),
    "heated_area": _l("Heated area, m²"),
    "common_area": _l("Common area, m²"),
    "total_area": _l("Total area, m²"),
    "imbalance_key": _l("Imbalance key"),
    "heat_system_share": _l("Heat system share"),
    "heat_common_share": _l("Heat common-area share"),
    "heat_min_share": _l("Minimum heat share"),
    "network_node": _l("Network node"),
    "building": _l("Building"),
    "premise": _l("Premise"),
    "number": _l("Number"),
    "kind": _l("Kind"),
    "heating": _l("Heating"),
    "gas_category": _l("Gas category"),
    "entrance": _l("Entrance"),
    "resident_id": _l("Resident ID"),
    "resident": _l("Resident"),
    "full_name": _l("Full name"),
    "rnokpp": _l("РНОКПП"),
    "birth_date": _l("Date of birth"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "date_from": _l("From"),
    "date_to": _l("To"),
    "account_number": _l("Account number"),
    "account": _l("Personal account"),
    "owner_name": _l("Owner (tenant)"),
    "owner_rnokpp": _l("Owner's РНОКПП"),
    "opened_on": _l("Opened on"),
    "closed_on": _l("Closed on"),
    "einvoice_consent": _l("Consent to invoices by e-mail"),
    "einvoice_consent_on": _l("Consent given on"),
    "service": _l("Service"),
    "quantity": _l("Quantity"),
    "category": _l("Benefit category"),
    "entitled": _l("Entitled persons"),
    "certificate": _l("Certificate"),
    "unit": _l("Unit"),
    "method": _l("Charging method"),
    "resource": _l("Resource"),
    "area_basis": _l("Area basis"),
    "quantity_precision": _l("Quantity precision"),
    "valid_from": _l("Valid from"),
    "price": _l("Price, UAH"),
    "components": _l("Components"),
    "tariff": _l("Price list entry"),
    "norm_per_person": _l("Norm per person"),
    "digits": _l("Digits"),
    "verification_years": _l("Verification interval, years"),
    "pct": _l("Discount, %"),
    "parent": _l("Parent node"),
    "edrpou": _l("ЄДРПОУ"),
    "iban": _l("IBAN"),
    "bank_name": _l("Bank"),
    "website": _l("Website"),
    "working_hours": _l("Working hours"),
    "invoice_notice": _l("Notice on the invoice"),
    "key": _l("Setting"),
    "value": _l("Value"),
    "description": _l("Description"),
    "serial": _l("Serial number"),
    "meter_type": _l("Meter type"),
    "meter": _l("Meter"),
    "installed_on": _l("Installed on"),
    "initial_reading": _l("Initial reading"),
    "removed_on": _l("Removed on"),
    "final_reading": _l("Final reading"),
    "verified_on": _l("Verified on"),
    "next_verification": _l("Next verification"),
    "seal_number": _l("Seal number"),
    "sealed_on": _l("Sealed on"),
    "date": _l("Date"),
    "reading": _l("Reading"),
    "document": _l("Document"),
    "note": _l("Note"),
    "source": _l("Source"),
    "entered_by": _l("Entered by"),
    "entered_at": _l("Entered at"),
    "edited_by": _l("Edited by"),
    "edited_at": _l("Edited at"),
    "external_id": _l("Payment ID"),
    "paid_on": _l("Paid on"),
    "amount": _l("Amount, UAH"),
    "created_by": _l("Created by"),
    "created_at": _l("Created at"),
    "period": _l("Period"),
    "status": _l("Status"),
    "user": _l("User"),
    "premise.building": _l("Building"),
    "meter.building": _l("Building"),
    "meter.premise": _l("Premise"),
    "premise.building.address": _l("Address"),
}


# --- the roles screen: rights and what they are on, by name (never a class name or a regex) ---
# The actions of a right (FAB's permission names).
PERMISSION_LABELS = {
    "can_list": _l("view the list"),
    "can_show": _l("open a record"),
    "can_add": _l("add"),
    "can_edit": _l("edit"),
    "can_delete": _l("delete"),
    "can_approve": _l("approve"),
    "can_build": _l("build"),
    "can_cancel": _l("cancel"),
    "can_close": _l("close the period"),
    "can_run": _l("run the billing"),
    "can_send": _l("send"),
    "can_settings": _l("change the settings"),
    "can_reverse": _l("reverse"),
    "can_download": _l("download"),
    "can_get": _l("read"),
    "can_put": _l("change"),
    "can_post": _l("create"),
    "can_info": _l("read the field descriptions"),
    "can_lookup": _l("search in pickers"),
    "can_this_form_get": _l("open the form"),
    "can_this_form_post": _l("submit the form"),
    "can_userinfo": _l("view own profile"),
    "userinfoedit": _l("edit own profile"),
    "resetmypassword": _l("change own password"),
    "resetpasswords": _l("reset users' passwords"),
    "copyrole": _l("copy a role"),
    "menu_access": _l("see in the menu"),
}

# What a right is on: Oblik's resources (``class_permission_name``), menu categories and
# Flask-AppBuilder's own screens.
RESOURCE_LABELS = {
    # catalogs and settings
    "Service": _l("Services"),
    "Tariff": _l("Price lists"),
    "TariffComponent": _l("Price list components"),
    "Norm": _l("Consumption norms"),
    "MeterType": _l("Meter types"),
    "BenefitCategory": _l("Benefit categories"),
    "NetworkNode": _l("Network nodes"),
    "NetworkScheme": _l("Communication scheme"),
    "PublicHoliday": _l("Public holidays"),
    "Organisation": _l("Organisation"),
    "Setting": _l("Billing settings"),
    "MailTemplate": _l("Mail templates"),
    # registries
    "Building": _l("Buildings"),
    "Premise": _l("Premises"),
    "Resident": _l("Residents"),
    "Registration": _l("Registrations"),
    "Account": _l("Personal accounts"),
    "AccountService": _l("Services of an account"),
    "Beneficiary": _l("Beneficiaries"),
    # metering
    "Meter": _l("Meter card file"),
    "MeterEvent": _l("Meter history"),
    "Reading": _l("Meter readings"),
    "GroupMeterPremise": _l("Group metering"),
    "ReadingSheet": _l("Readings sheet"),
    # money
    "Payment": _l("Payments"),
    "Subsidy": _l("Subsidies"),
    "Period": _l("Periods"),
    "OpeningBalance": _l("Opening balances"),
    "Import": _l("Import"),
    # billing
    "Billing": _l("Billing run"),
    "Journal": _l("Journal"),
    "ClaimAct": _l("Claim acts"),
    "ClaimActTarget": _l("Claim act targets"),
    "AreaChange": _l("Area changes"),
    "Invoices": _l("Invoices for payment"),
    "Mail": _l("Mailing"),
    # documents and reports
    "RestructuringAgreement": _l("Restructuring agreements"),
    "MissedInstalments": _l("Missed restructuring payments"),
    "PenaltyExemption": _l("Penalty exemptions"),
    "WriteOff": _l("Write-off statements"),
    "Reports": _l("Reports"),
    "WorkLists": _l("Work lists"),
    # security
    "AuditLog": _l("Audit log"),
    "PersonalData": _l("Personal data in the audit log"),
    "InspectorBuilding": _l("Inspector buildings"),
    "LoginLock": _l("Sign-in locks"),
    "Lookup": _l("Pickers"),
    # menu categories
    "Catalogs": _l("Catalogs"),
    "Registries": _l("Registries"),
    "Metering": _l("Metering"),
    "Money": _l("Payments"),
    "Imports": _l("Import"),
    "Accruals": _l("Billing"),
    "Documents": _l("Documents"),
    "Security": _l("Security"),
    # Flask-AppBuilder's own screens and services
    "UserDBModelView": _l("Users"),
    "UserOAuthModelView": _l("Users"),
    "UserLDAPModelView": _l("Users"),
    "RoleModelView": _l("Roles"),
    "UserGroupModelView": _l("Groups"),
    "PermissionModelView": _l("Base permissions"),
    "ViewMenuModelView": _l("Views and menus"),
    "PermissionViewModelView": _l("Permissions on views and menus"),
    "List Users": _l("Users"),
    "List Roles": _l("Roles"),
    "List Groups": _l("Groups"),
    "Base Permissions": _l("Base permissions"),
    "Views/Menus": _l("Views and menus"),
    "Permission on Views/Menus": _l("Permissions on views and menus"),
    "ResetMyPasswordView": _l("Own password"),
    "ResetPasswordView": _l("Users' passwords"),
    "UserInfoEditView": _l("Own profile"),
    "OblikAuthDBView": _l("Sign-in"),
    "OblikSecurityApi": _l("Sign-in through the API"),
    "OblikIndexView": _l("Home page"),
    "LocaleView": _l("Language switch"),
    "UtilView": _l("Service pages"),
    "MenuApi": _l("Menu (API)"),
    "OpenApi": _l("API description"),
    "SwaggerView": _l("API description"),
    "OnlineReadingsView": _l("Residents' readings page"),
    "UnsubscribeView": _l("Unsubscribe page"),
}


def permission_label(name: str) -> str:
    """A right's action by name: «переглядати список», not ``can_list``."""
    label = PERMISSION_LABELS.get(name)
    return str(label) if label is not None else name.removeprefix("can_").replace("_", " ")


def resource_label(name: str) -> str:
    """What a right is on by name: «Будинки», «Меню: Будинки» for ``BuildingMenu``."""
    from flask_babel import gettext

    label = RESOURCE_LABELS.get(name)
    if label is not None:
        return str(label)
    if name.endswith("Menu") and name[:-4] in RESOURCE_LABELS:
        return gettext("Menu: %(name)s", name=RESOURCE_LABELS[name[:-4]])
    return name


# --- billing settings by name (the stored key stays the code of formats.md) -----------------
SETTING_LABELS = {
    "min_persons_for_norm": _l("Persons for norms in an empty premise"),
    "recalculation_lookback_months": _l("Recalculation depth, months"),
    "social_norm.area_per_person": _l("Social norm: area per person, m²"),
    "social_norm.area_per_household": _l("Social norm: area per household, m²"),
    "social_norm.cold_water_per_person": _l("Social norm: cold water per person, m³"),
    "social_norm.cold_water_no_hot_per_person": _l("Social norm: cold water without hot water, m³"),
    "social_norm.hot_water_per_person": _l("Social norm: hot water per person, m³"),
    "social_norm.sewerage_per_person": _l("Social norm: sewerage per person, m³"),
    "social_norm.gas_cat1_per_person": _l("Social norm: gas, category 1, m³"),
    "social_norm.gas_cat2_per_person": _l("Social norm: gas, category 2, m³"),
    "social_norm.gas_cat3_per_person": _l("Social norm: gas, category 3, m³"),
    "social_norm.electricity_base": _l("Social norm: electricity, first person, kWh"),
    "social_norm.electricity_per_extra_person": _l("Social norm: electricity, each further person, kWh"),
    "social_norm.electricity_max": _l("Social norm: electricity, household cap, kWh"),
    "penalty.enabled": _l("Penalty charged (1 — yes, 0 — no)"),
    "penalty.daily_pct": _l("Penalty per day, %"),
    "invoice.due_day": _l("Invoice due day"),
    "invoice.qr_format": _l("Invoice QR code format"),
    "reminders.day": _l("Reading reminders: day of the month"),
    "reminders.hour": _l("Reading reminders: hour"),
    "write_off.limitation_months": _l("Limitation period, months"),
    "readings.high_factor": _l("Implausibly high reading: factor"),
    "benefits.dbf_codepage": _l("Benefits DBF file: code page"),
}


def setting_label(key) -> str:
    """A billing setting by its name («Пеня за день, %»); an unknown key as it is stored."""
    label = SETTING_LABELS.get(key or "")
    return str(label) if label is not None else (key or "")


# --- billing warnings: a code (``meter_estimated``) is never shown, its label is -------------
def warning_labels():
    """The labels of a billing run's warnings (``app/models/billing.py`` declares them with the
    codes of ``app/billing/codes.py``): every screen names a warning through this table."""
    from ..models.billing import WARNING_CODES

    return WARNING_CODES


def warning_label(code) -> str:
    return str(warning_labels().label(code)) if code else ""


def setting_choices():
    """The billing settings for the form's list: by name, in the order of ``DEFAULT_SETTINGS``."""
    from ..billing.settings import DEFAULT_SETTINGS
    from ..models.choices import Choices

    return Choices(*((key, SETTING_LABELS.get(key, key)) for key in DEFAULT_SETTINGS))
