"""The validator registry and small reusable checks."""
from dataclasses import dataclass
from decimal import Decimal
import re

from flask_babel import gettext as _
from stdnum import iban as std_iban
from stdnum.ua import edrpou as std_edrpou, rntrc as std_rntrc

_VALIDATORS = {}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def validator(model):
    """Register ``fn(obj, facts) -> list[FieldError]`` as the validator of ``model``.

    ``facts`` (``app.validation.facts``) answers the questions about other records; the
    validator itself never queries, so forms, the API and imports run the same code."""

    def register(fn):
        _VALIDATORS[model] = fn
        return fn

    return register


def validate(session, obj) -> list[FieldError]:
    """The errors of ``obj`` as a form or the API would show them (facts from ``session``)."""
    from .facts import SessionFacts

    fn = _VALIDATORS.get(type(obj))
    if fn is None:
        return []
    with session.no_autoflush:
        return fn(obj, SessionFacts(session))


def validate_with(facts, obj) -> list[FieldError]:
    """The errors of ``obj`` with the facts supplied by the caller (the import's bulk facts)."""
    fn = _VALIDATORS.get(type(obj))
    return fn(obj, facts) if fn is not None else []


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def check_email(errors, field, value):
    if value and not EMAIL_RE.match(value.strip()):
        errors.append(FieldError(field, _("Invalid e-mail address")))


def check_rnokpp(errors, field, value):
    if value:
        if not std_rntrc.is_valid(value):
            errors.append(FieldError(field, _("Invalid РНОКПП (taxpayer number): 10 digits with a valid check digit are required")))


def check_edrpou(errors, field, value):
    if value is None or not std_edrpou.is_valid(value):
        errors.append(FieldError(field, _("Invalid ЄДРПОУ code: 8 digits with a valid check digit are required")))


def check_iban(errors, field, value):
    if value is None or not std_iban.is_valid(value):
        errors.append(FieldError(field, _("Invalid IBAN: check the country code, length and check digits")))
    elif not std_iban.compact(value).startswith("UA"):
        errors.append(FieldError(field, _("A Ukrainian IBAN (starting with UA) is required")))


def check_positive(errors, field, value, required=True):
    if value is None:
        if required:
            errors.append(FieldError(field, _("This field is required")))
        return
    if Decimal(value) <= 0:
        errors.append(FieldError(field, _("Must be greater than zero")))


def check_kopiyky(errors, field, value):
    """Money has whole kopiyky: 250,40 — not 250,405 (never rounded silently)."""
    kopiyky = Decimal(value).scaleb(2) if value is not None else None
    if kopiyky is not None and kopiyky.is_finite() and kopiyky != kopiyky.to_integral_value():
        errors.append(FieldError(field, _("At most two decimal places (kopiyky)")))


def check_not_negative(errors, field, value):
    if value is not None and Decimal(value) < 0:
        errors.append(FieldError(field, _("Must not be negative")))


def check_range(errors, field, value, low, high):
    if value is not None and not (Decimal(low) <= Decimal(value) <= Decimal(high)):
        errors.append(FieldError(field, _("Must be between %(low)s and %(high)s", low=low, high=high)))


def check_date_range(errors, start_field, start, end_field, end):
    if start and end and end < start:
        errors.append(FieldError(end_field, _("The end date is before the start date")))
