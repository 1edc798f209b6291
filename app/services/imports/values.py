"""Cells → values, as the forms read them (the same parsers, :func:`app.billing.money.parse_decimal`
and :func:`app.billing.periods.parse_date`): decimal commas, ``дд.мм.рррр`` and ISO dates,
``YYYY-MM`` periods, codes of closed lists — and the native numbers, dates and texts of XLSX
cells. A converter returns the value or raises ``ValueError`` with the reason in Ukrainian.

Numbers are rounded half up to the places of their database column (what the database does
with a form's value), so the value compared for idempotency is the value stored.
"""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from ...billing.money import parse_decimal, round_qty
from ...billing.periods import parse_date, parse_period

INT_MAX = 2_147_483_647


def cell_text(raw) -> str:
    """The cell as the user wrote it (for the report and for text columns)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    if isinstance(raw, datetime):
        return raw.strftime("%d.%m.%Y") if raw.time() == datetime.min.time() else raw.strftime("%d.%m.%Y %H:%M")
    if isinstance(raw, date):
        return raw.strftime("%d.%m.%Y")
    return str(raw).strip()


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def to_text(raw, max_length: int | None):
    text = cell_text(raw)
    if max_length and len(text) > max_length:
        raise ValueError(_("Too long: at most %(limit)s characters", limit=max_length))
    return text


def to_decimal(raw, precision: int | None, scale: int | None) -> Decimal:
    if isinstance(raw, bool) or isinstance(raw, (date, datetime)):
        raise ValueError(_("Not a valid number"))
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # the shortest decimal that is this float: 0.1 → 0.1
    else:
        try:
            value = parse_decimal(str(raw))
        except ValueError:
            raise ValueError(_("Not a valid number"))
    if not value.is_finite():
        raise ValueError(_("Not a valid number"))
    if precision is not None and scale is not None and _integer_digits(value) > precision - scale:
        raise ValueError(_("The number is too large"))
    if scale is not None:
        try:
            value = round_qty(value, scale)
        except InvalidOperation:
            raise ValueError(_("The number is too large"))
        if precision is not None and _integer_digits(value) > precision - scale:
            raise ValueError(_("The number is too large"))
    elif abs(value) > INT_MAX * 1000:
        raise ValueError(_("The number is too large"))
    return value


def _integer_digits(value: Decimal) -> int:
    return max(value.adjusted() + 1, 0) if value else 0


def to_int(raw) -> int:
    value = to_decimal(raw, None, None)
    if value != value.to_integral_value():
        raise ValueError(_("A whole number is required"))
    if abs(value) > INT_MAX:
        raise ValueError(_("The number is too large"))
    return int(value)


def to_date(raw, cache: dict | None = None) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise ValueError(_("Not a valid date: use дд.мм.рррр"))
    if cache is not None:
        found = cache.get(raw)
        if found is None:
            found = cache[raw] = _parse_date(raw)
        return found
    return _parse_date(raw)


def _parse_date(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError:
        raise ValueError(_("Not a valid date: use дд.мм.рррр"))


def to_period(raw) -> str:
    """``2026-11`` (also ``11.2026``, or a date cell of that month's first day)."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        if raw.day != 1:
            raise ValueError(_("A period is written YYYY-MM"))
        return f"{raw.year:04d}-{raw.month:02d}"
    text = cell_text(raw)
    if len(text) == 7 and text[2] == ".":
        text = f"{text[3:]}-{text[:2]}"
    try:
        year, month = parse_period(text)
    except ValueError:
        raise ValueError(_("A period is written YYYY-MM"))
    return f"{year:04d}-{month:02d}"


# A yes/no cell (the e-mail consent of an account): Ukrainian, English or a digit; XLSX's TRUE/FALSE
# arrives as 1/0 (``cell_text``). An empty cell is «no» (the column's default).
YES = frozenset({"так", "yes", "1", "true"})
NO = frozenset({"ні", "no", "0", "false"})


def to_bool(raw) -> bool:
    text = cell_text(raw).lower().replace("i", "і")  # a Latin «i» typed in «нi»
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("Not a yes/no value: write так or ні (yes/no, 1/0)"))


def to_choice(raw, choices) -> str:
    text = cell_text(raw).lower()
    if text not in choices.codes:
        raise ValueError(_("Not a valid choice: one of %(codes)s", codes=", ".join(choices.codes)))
    return text


def display(value) -> str:
    """A stored value as the UI writes it (the preview's «as stored» rows)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")
    return str(value)
