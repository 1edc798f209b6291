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
    """The errors of ``obj`` as a form or the API would show them (facts from ``session``):
    first what its columns can hold (:func:`column_errors`), then the model's rules."""
    from .facts import SessionFacts

    errors = column_errors(obj)
    fn = _VALIDATORS.get(type(obj))
    if fn is None or errors:
        return errors
    with session.no_autoflush:
        return fn(obj, SessionFacts(session))


def validate_with(facts, obj) -> list[FieldError]:
    """The errors of ``obj`` with the facts supplied by the caller (the import's bulk facts)."""
    errors = column_errors(obj)
    fn = _VALIDATORS.get(type(obj))
    if fn is None or errors:
        return errors
    return fn(obj, facts)


# The widest value of each integer type (PostgreSQL's; SQLite's INTEGER holds the widest).
_INT_LIMITS = {"SmallInteger": 2**15 - 1, "Integer": 2**31 - 1, "BigInteger": 2**63 - 1}


def column_errors(obj) -> list[FieldError]:
    """What the table's columns themselves cannot hold, found before the database refuses it:
    a code outside the column's closed list (its CHECK of ``enum_check``), text longer than
    the column, an integer or a number too large for its type. No query."""
    from sqlalchemy import CheckConstraint, Integer, Numeric, String, inspect as sa_inspect

    table = getattr(obj, "__table__", None)
    if table is None:
        return []
    errors = []
    mapper = sa_inspect(type(obj))
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and "choices" in constraint.info:
            column = constraint.info["column"]
            value = getattr(obj, column, None)
            if value is not None and value not in constraint.info["choices"]:
                errors.append(FieldError(column, _("Not a valid choice: «%(value)s»; allowed: %(codes)s",
                                                   value=str(value)[:40], codes=", ".join(constraint.info["choices"]))))
    for prop in mapper.column_attrs:
        if len(prop.columns) != 1 or prop.columns[0].table is not table:
            continue
        column = prop.columns[0]
        value = getattr(obj, prop.key, None)
        if value is None or column.primary_key:
            continue
        kind = column.type
        impl = getattr(kind, "impl", kind)
        impl = impl() if isinstance(impl, type) else impl
        if isinstance(impl, String) and impl.length and isinstance(value, str) and len(value) > impl.length:
            errors.append(FieldError(prop.key, _("At most %(length)s characters", length=impl.length)))
        elif isinstance(impl, Integer) and isinstance(value, int) and not isinstance(value, bool):
            limit = next((v for name, v in _INT_LIMITS.items() if type(impl).__name__ == name), 2**31 - 1)
            if abs(value) > limit:
                errors.append(FieldError(prop.key, _("The number is too large")))
        elif isinstance(impl, Numeric) and impl.precision and isinstance(value, (int, Decimal)):
            digits = impl.precision - (impl.scale or 0)
            value = Decimal(value)
            if not value.is_finite() or abs(value) >= Decimal(10) ** digits:
                errors.append(FieldError(prop.key, _("The number is too large: at most %(digits)s digits before the decimal point",
                                                     digits=digits)))
    return errors


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
