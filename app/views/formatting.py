"""How values look in the UI: dates ``дд.мм.рррр``, decimals with a comma, enumerations by
their translated label. Also installs the form field types used for every model form."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import get_locale


def uses_comma() -> bool:
    try:
        return str(get_locale() or "uk") != "en"
    except Exception:  # outside a request
        return True


def format_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def format_decimal(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0")
            whole, frac = text.split(".")
            # keep kopiyky for money-looking values
            text = whole if not frac else f"{whole}.{frac}"
    else:
        text = str(value)
    return text.replace(".", ",") if uses_comma() else text


def format_money(value) -> str:
    """Гривні з копійками: always two places (``250,40``, not ``250,4``)."""
    if value is None:
        return ""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.replace(".", ",") if uses_comma() else text


def format_amount(value) -> str:
    """A sum on a dashboard: grouped by thousands with a (narrow-free) space, two places:
    ``31 765,00``."""
    if value is None:
        return ""
    text = "{:,.2f}".format(Decimal(value).quantize(Decimal("0.01"))).replace(",", " ")
    return text.replace(".", ",") if uses_comma() else text


def format_count(value) -> str:
    """A whole number grouped by thousands with a space: ``12 345``."""
    if value is None:
        return ""
    return "{:,}".format(int(value)).replace(",", " ")


def format_percent(value) -> str:
    """A percent with one place: ``87,5 %`` (``—`` when there is none)."""
    if value is None:
        return "—"
    text = format(Decimal(value).quantize(Decimal("0.1")), "f")
    return (text.replace(".", ",") if uses_comma() else text) + " %"


def format_yes_no(value) -> str:
    """A yes/no column: «Так» / «Ні» (empty when unknown)."""
    from flask_babel import gettext

    if value is None:
        return ""
    return gettext("Yes") if value else gettext("No")


def format_blank(value):
    """An empty value is shown empty, not as ``None``."""
    return "" if value is None else value


def install(app):
    """Register Jinja filters and the Ukrainian form fields."""
    app.jinja_env.filters["uk_date"] = format_date
    app.jinja_env.filters["uk_decimal"] = format_decimal
    app.jinja_env.filters["uk_money"] = format_money
    app.jinja_env.filters["uk_amount"] = format_amount
    app.jinja_env.filters["uk_percent"] = format_percent
    app.jinja_env.filters["uk_count"] = format_count
    from . import fields

    fields.install_converters()
