"""How values look in the UI: dates ``дд.мм.рррр``, decimals with a comma, enumerations by
their translated label. Also installs the form field types used for every model form."""
from datetime import date, datetime
from decimal import Decimal

from ..services.language import uses_comma  # noqa: F401 - the views' name for it


def local_time(value: datetime) -> datetime:
    """A stored moment (naive UTC) in Kyiv time (``BABEL_DEFAULT_TIMEZONE``), naive."""
    from ..validation.readings import local_moment

    return local_moment(value)


def format_datetime(value, seconds: bool = False) -> str:
    """A stored moment as the user reads it: Kyiv time, ``дд.мм.рррр гг:хх`` (``:сс``)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    return local_time(value).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")


# Moments people type in themselves, as the clock on the wall showed them (a claim act's
# «notified at», «visited at»): kept as typed, shown as typed — never converted. Every other
# ``DateTime`` column is a stamp the system writes in UTC and is shown in Kyiv time.
WALL_TIME_COLUMNS = frozenset({"notified_at", "visited_at"})


def format_wall_time(value) -> str:
    """A moment typed in by a user (:data:`WALL_TIME_COLUMNS`): ``дд.мм.рррр гг:хх`` as typed."""
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y %H:%M") if isinstance(value, datetime) else format_date(value)


def format_time(value) -> str:
    """The time of day of a stored moment, Kyiv time: ``гг:хх:сс``."""
    return local_time(value).strftime("%H:%M:%S") if value else ""


def format_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value)
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


def format_price(value) -> str:
    """A price or tariff: at least two places (``38,50``), more when the price has them
    (``1,4436``), never trailing zeros beyond the second (``38,500`` → ``38,50``)."""
    from ..billing.money import from_db, price_digits

    if value is None or value == "":
        return ""
    text = price_digits(from_db(value))
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


def explained(stored: str | None) -> str:
    """A stored explanation or warning (phrases, app/billing/phrases.py) in the reader's language."""
    from ..services.explanations import renderer

    return renderer().text(stored)


def install(app):
    """Register Jinja filters and the Ukrainian form fields."""
    app.jinja_env.filters["uk_date"] = format_date
    app.jinja_env.filters["uk_decimal"] = format_decimal
    app.jinja_env.filters["uk_money"] = format_money
    app.jinja_env.filters["uk_price"] = format_price
    app.jinja_env.filters["uk_datetime"] = format_datetime
    app.jinja_env.filters["uk_amount"] = format_amount
    app.jinja_env.filters["uk_percent"] = format_percent
    app.jinja_env.filters["uk_count"] = format_count
    app.jinja_env.filters["explained"] = explained
    from . import fields

    fields.install_converters()
