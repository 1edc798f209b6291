"""The validator of each model (what a Ukrainian utility accountant would refuse)."""
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from ..billing.money import parse_decimal
from ..models import (
    Account, AccountService, AreaChange, BenefitCategory, Beneficiary, Building, ClaimAct, ClaimActTarget,
    GroupMeterPremise, Meter,
    MeterEvent, MeterType, NetworkNode, Norm, OpeningBalance, Organisation, Payment, Premise, Reading,
    Registration, Resident, Service, Setting, Subsidy, Tariff, TariffComponent,
)
from .core import (
    FieldError, check_date_range, check_edrpou, check_email, check_iban, check_kopiyky, check_not_negative,
    check_positive, check_range, check_rnokpp, validator,
)
from .facts import first_overlap
from .readings import check_reading, local_today

# The notice area of every invoice (Організація → «Оголошення на рахунку»): what fits on the page.
INVOICE_NOTICE_MAX = 1500
# Підʼїзд: a whole number from 1 (the delivery order of the invoices of a building).
ENTRANCE_MAX = 99


def _required(errors, obj, *fields):
    for field in fields:
        value = getattr(obj, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(FieldError(field, _("This field is required")))


@validator(Organisation)
def validate_organisation(obj, facts):
    errors = []
    _required(errors, obj, "name")
    check_edrpou(errors, "edrpou", obj.edrpou)
    check_iban(errors, "iban", obj.iban)
    check_email(errors, "email", obj.email)
    if obj.invoice_notice is not None and len(obj.invoice_notice) > INVOICE_NOTICE_MAX:
        errors.append(FieldError("invoice_notice", _("At most %(length)s characters", length=INVOICE_NOTICE_MAX)))
    if facts.organisation_count(obj.id):
        errors.append(FieldError("name", _("Only one provider can be described; edit the existing record")))
    return errors


@validator(Setting)
def validate_setting(obj, facts):
    errors = []
    _required(errors, obj, "key", "valid_from", "value")
    if obj.value is not None and str(obj.value).strip():
        try:
            parse_decimal(str(obj.value))
        except ValueError:
            errors.append(FieldError("value", _("Not a valid number: e.g. 10,5")))
    return errors


@validator(Service)
def validate_service(obj, facts):
    errors = []
    _required(errors, obj, "code", "name", "unit", "method")
    check_range(errors, "quantity_precision", obj.quantity_precision, 0, 4)
    if obj.method in ("metered", "group") and not obj.resource:
        errors.append(FieldError("resource", _("A metered service needs a resource")))
    return errors


@validator(Tariff)
def validate_tariff(obj, facts):
    errors = []
    _required(errors, obj, "service", "valid_from")
    check_positive(errors, "price", obj.price)
    if obj.components and obj.price is not None:
        total = sum((Decimal(c.price) for c in obj.components), Decimal(0))
        if total != Decimal(obj.price):
            errors.append(FieldError("price", _("The price must equal the sum of its components (%(total)s)", total=total)))
    return errors


@validator(TariffComponent)
def validate_tariff_component(obj, facts):
    errors = []
    _required(errors, obj, "tariff", "name")
    check_positive(errors, "price", obj.price)
    return errors


@validator(Norm)
def validate_norm(obj, facts):
    errors = []
    _required(errors, obj, "service", "valid_from", "norm_per_person")
    check_not_negative(errors, "norm_per_person", obj.norm_per_person)
    return errors


@validator(MeterType)
def validate_meter_type(obj, facts):
    errors = []
    _required(errors, obj, "code", "name", "resource")
    check_range(errors, "digits", obj.digits, 1, 12)
    check_range(errors, "verification_years", obj.verification_years, 1, 30)
    return errors


@validator(BenefitCategory)
def validate_benefit_category(obj, facts):
    errors = []
    _required(errors, obj, "code", "name")
    if obj.pct is None:
        errors.append(FieldError("pct", _("This field is required")))
    check_range(errors, "pct", obj.pct, 0, 100)
    return errors


@validator(NetworkNode)
def validate_network_node(obj, facts):
    errors = []
    _required(errors, obj, "code", "name")
    node, seen = obj.parent, set()
    while node is not None:
        if node is obj or (obj.id is not None and node.id == obj.id) or node.id in seen:
            errors.append(FieldError("parent", _("A node cannot be its own ancestor")))
            break
        seen.add(node.id)
        node = node.parent
    return errors


@validator(Building)
def validate_building(obj, facts):
    errors = []
    _required(errors, obj, "code", "address")
    if obj.floors is not None:
        check_range(errors, "floors", obj.floors, 1, 200)
    check_positive(errors, "heated_area", obj.heated_area, required=False)
    check_not_negative(errors, "common_area", obj.common_area)
    for field in ("heat_system_share", "heat_common_share", "heat_min_share"):
        check_range(errors, field, getattr(obj, field), 0, 1)
    if obj.heat_system_share is not None and obj.heat_common_share is not None:
        if Decimal(obj.heat_system_share) + Decimal(obj.heat_common_share) >= 1:
            errors.append(FieldError("heat_common_share", _("System and common shares together must be below 1")))
    return errors


@validator(Premise)
def validate_premise(obj, facts):
    errors = []
    _required(errors, obj, "building", "number")
    check_positive(errors, "total_area", obj.total_area)
    check_positive(errors, "heated_area", obj.heated_area, required=False)
    if obj.heated_area is not None and obj.total_area is not None and Decimal(obj.heated_area) > Decimal(obj.total_area):
        errors.append(FieldError("heated_area", _("The heated area cannot exceed the total area")))
    check_range(errors, "entrance", obj.entrance, 1, ENTRANCE_MAX)
    if obj.id is not None and obj.building is not None:
        # its meters move with it (migration 0011); a house meter of the old building cannot
        foreign = [serial for serial, building_id in facts.premise_group_meters(obj.id) if building_id != obj.building.id]
        if foreign:
            errors.append(FieldError("building", _(
                "The premise is served by the house meter № %(serial)s of its present building (group metering): "
                "take it out of that group before moving the premise to another building", serial=foreign[0])))
    return errors


@validator(Resident)
def validate_resident(obj, facts):
    errors = []
    _required(errors, obj, "resident_id", "full_name")
    check_rnokpp(errors, "rnokpp", obj.rnokpp)
    check_email(errors, "email", obj.email)
    if obj.birth_date and obj.birth_date > date.today():
        errors.append(FieldError("birth_date", _("The date of birth is in the future")))
    return errors


@validator(Registration)
def validate_registration(obj, facts):
    errors = []
    _required(errors, obj, "resident", "premise", "date_from", "kind")
    check_date_range(errors, "date_from", obj.date_from, "date_to", obj.date_to)
    if errors:
        return errors
    spans = facts.registration_spans(obj.resident.id, obj.premise.id)
    if first_overlap(spans, obj.id, obj.date_from, obj.date_to):
        errors.append(FieldError("date_from", _("This resident already has a registration in this premise overlapping these dates")))
    return errors


@validator(Account)
def validate_account(obj, facts):
    errors = []
    _required(errors, obj, "account_number", "premise", "owner_name", "opened_on")
    check_rnokpp(errors, "owner_rnokpp", obj.owner_rnokpp)
    check_email(errors, "email", obj.email)
    check_date_range(errors, "opened_on", obj.opened_on, "closed_on", obj.closed_on)
    check_consent(errors, obj.einvoice_consent, obj.einvoice_consent_on, obj.email)
    if errors:
        return errors
    other = first_overlap(facts.premise_accounts(obj.premise.id), obj.id, obj.opened_on, obj.closed_on)
    if other:
        errors.append(FieldError("premise", _("The premise already has an active account %(number)s on these dates", number=other.label)))
    return errors


def consent_date(consent, consent_on, today, was_consenting=False, was_on=None):
    """The date kept with the owner's consent to invoices by e-mail, on every path (form, API,
    import): none without the consent; with it, the date given, else the date of a consent
    given before (a re-import or a save that leaves the date empty keeps it), else ``today``."""
    if not consent:
        return None
    if consent_on is not None:
        return consent_on
    if was_consenting and was_on is not None:
        return was_on
    return today


def settle_consent(obj, today=None) -> None:
    """Set the consent date of the ORM account ``obj`` (a form's or the API's record, before it
    is validated) by :func:`consent_date`, from what it was when loaded."""
    from sqlalchemy.orm.attributes import get_history

    def loaded(name):
        history = get_history(obj, name)
        before = list(history.deleted) or list(history.unchanged)
        return before[0] if before else None

    obj.einvoice_consent = bool(obj.einvoice_consent)
    obj.einvoice_consent_on = consent_date(obj.einvoice_consent, obj.einvoice_consent_on,
                                           local_today() if today is None else today,
                                           bool(loaded("einvoice_consent")), loaded("einvoice_consent_on"))


def check_consent(errors, consent, consent_on, email, today=None):
    if not consent:
        return
    if not (email or "").strip():
        errors.append(FieldError("einvoice_consent", _(
            "Invoices by e-mail need the owner's e-mail address: fill in the e-mail or untick the consent")))
    today = local_today() if today is None else today
    if consent_on is not None and consent_on > today:
        errors.append(FieldError("einvoice_consent_on", _("The date of the consent is in the future (today is %(today)s)",
                                                          today=today.strftime("%d.%m.%Y"))))


@validator(AccountService)
def validate_account_service(obj, facts):
    errors = []
    _required(errors, obj, "account", "service", "date_from")
    check_date_range(errors, "date_from", obj.date_from, "date_to", obj.date_to)
    check_positive(errors, "quantity", obj.quantity)
    account = obj.account
    if account is not None and obj.date_from is not None:
        if obj.date_from < account.opened_on or (account.closed_on and obj.date_from > account.closed_on):
            errors.append(FieldError("date_from", _("The service starts outside the account's dates")))
    if not errors:
        spans = facts.account_service_spans(account.id, obj.service.id)
        if first_overlap(spans, obj.id, obj.date_from, obj.date_to):
            errors.append(FieldError("date_from", _("The account already has this service on these dates")))
    return errors


@validator(Beneficiary)
def validate_beneficiary(obj, facts):
    errors = []
    _required(errors, obj, "resident", "category", "date_from")
    check_date_range(errors, "date_from", obj.date_from, "date_to", obj.date_to)
    check_range(errors, "entitled", obj.entitled, 1, 20)
    return errors


@validator(Meter)
def validate_meter(obj, facts):
    errors = []
    _required(errors, obj, "serial", "meter_type", "building", "installed_on")
    check_date_range(errors, "installed_on", obj.installed_on, "removed_on", obj.removed_on)
    check_date_range(errors, "verified_on", obj.verified_on, "next_verification", obj.next_verification)
    check_not_negative(errors, "initial_reading", obj.initial_reading)
    if obj.premise is not None and obj.building is not None and obj.premise.building_id != obj.building.id:
        errors.append(FieldError("premise", _("The premise is not in the chosen building")))
    if obj.id is not None and obj.premise is None and obj.building is not None:
        foreign = [label for label, building_id in facts.meter_group_premises(obj.id) if building_id != obj.building.id]
        if foreign:
            errors.append(FieldError("building", _(
                "The house meter serves %(premise)s of its present building (group metering): take its premises "
                "out of the group before moving the meter to another building", premise=foreign[0])))
    if obj.final_reading is not None and obj.removed_on is None:
        errors.append(FieldError("removed_on", _("A final reading needs the removal date")))
    digits = obj.meter_type.digits if obj.meter_type else None
    for field in ("initial_reading", "final_reading"):
        value = getattr(obj, field)
        if digits and value is not None and Decimal(value) >= Decimal(10) ** digits:
            errors.append(FieldError(field, _("The value has more digits than the meter (%(digits)s)", digits=digits)))
    bounds = facts.meter_reading_dates(obj.id) if obj.id is not None and obj.installed_on is not None else None
    if bounds:
        first, last = bounds
        if first < obj.installed_on or (obj.removed_on is not None and last > obj.removed_on):
            errors.append(FieldError("installed_on", _("The meter has readings outside these installation dates")))
    return errors


@validator(MeterEvent)
def validate_meter_event(obj, facts):
    errors = []
    _required(errors, obj, "meter", "date", "kind")
    check_not_negative(errors, "reading", obj.reading)
    return errors


@validator(GroupMeterPremise)
def validate_group_meter_premise(obj, facts):
    errors = []
    _required(errors, obj, "meter", "premise")
    if obj.meter is not None and obj.meter.premise_id is not None:
        errors.append(FieldError("meter", _("Only a house meter (without a premise) can serve a group")))
    elif obj.meter is not None and obj.premise is not None and obj.meter.building_id != obj.premise.building_id:
        errors.append(FieldError("premise", _("The premise is not in the building of the house meter")))
    return errors


@validator(Reading)
def validate_reading(obj, facts):
    errors = []
    _required(errors, obj, "meter", "date", "value", "source")
    if errors:
        return errors
    return check_reading(facts, obj.meter, obj.date, Decimal(obj.value), obj.id)


@validator(Payment)
def validate_payment(obj, facts):
    errors = []
    _required(errors, obj, "external_id", "account", "paid_on", "source")
    check_positive(errors, "amount", obj.amount)
    check_kopiyky(errors, "amount", obj.amount)
    if obj.paid_on and obj.paid_on > date.today():
        errors.append(FieldError("paid_on", _("The payment date is in the future")))
    return errors


@validator(OpeningBalance)
def validate_opening_balance(obj, facts):
    """Вхідне сальдо: any sign (a debt is positive, an advance negative); the service may be empty."""
    errors = []
    _required(errors, obj, "account", "amount")
    if obj.debt_since:
        from ..billing.periods import parse_period

        try:
            parse_period(obj.debt_since)
        except ValueError:
            errors.append(FieldError("debt_since", _("A period is written YYYY-MM")))
        else:
            if obj.amount is not None and obj.amount <= 0:
                errors.append(FieldError("debt_since", _("Only a debt dates from a month: leave it empty for an advance")))
    return errors


@validator(Subsidy)
def validate_subsidy(obj, facts):
    errors = []
    _required(errors, obj, "account", "period")
    check_positive(errors, "amount", obj.amount)
    check_kopiyky(errors, "amount", obj.amount)
    from ..billing.periods import parse_period

    if obj.period:
        try:
            parse_period(obj.period)
        except ValueError:
            errors.append(FieldError("period", _("A period is written YYYY-MM")))
    return errors


@validator(ClaimAct)
def validate_claim_act(obj, facts):
    from ..services.claim_acts import MIN_WITNESSES, WITHOUT_PROVIDER, witness_names

    errors = []
    if obj.id is not None and obj.status != "draft":
        errors.append(FieldError("status", _("The claim act is approved or cancelled and cannot be changed: "
                                             "cancel it and draw up a new one.")))
        return errors
    _required(errors, obj, "act_date", "date_from", "date_to")
    if obj.service is None and obj.service_id is None:
        errors.append(FieldError("service", _("This field is required")))
    check_date_range(errors, "date_from", obj.date_from, "date_to", obj.date_to)
    if obj.kind == "poor_quality" and (obj.reduction_pct is None or not 0 < Decimal(obj.reduction_pct) <= 100):
        errors.append(FieldError("reduction_pct", _("A poor-quality act needs a reduction between 0 and 100 %")))
    if obj.visit in WITHOUT_PROVIDER and len(witness_names(obj.witnesses)) < MIN_WITNESSES:
        errors.append(FieldError("witnesses", _(
            "The provider did not come or refused: the act is signed by the consumer and at least two other "
            "consumers — write their names, one a line")))
    if obj.visit == "came" and not (obj.representative or "").strip():
        errors.append(FieldError("representative", _("Name the provider's representative who came and signed")))
    if obj.visited_at is not None and obj.notified_at is not None and obj.visited_at < obj.notified_at:
        errors.append(FieldError("visited_at", _("The visit cannot be earlier than the notification")))
    return errors


@validator(ClaimActTarget)
def validate_claim_act_target(obj, facts):
    if obj.act is not None and obj.act.status != "draft":
        return [FieldError("act", _("The claim act is no longer a draft: its coverage cannot change."))]
    return []


@validator(AreaChange)
def validate_area_change(obj, facts):
    errors = []
    _required(errors, obj, "premise", "valid_from")
    if obj.total_area is None or Decimal(obj.total_area) <= 0:
        errors.append(FieldError("total_area", _("The total area must be positive")))
    elif obj.heated_area is not None and not 0 < Decimal(obj.heated_area) <= Decimal(obj.total_area):
        errors.append(FieldError("heated_area", _("The heated area must be positive and not above the total area")))
    return errors
