"""The charge explanations as codes and numbers («чому стільки?», billing.md): what the engine
writes, what the database stores, how a screen in either language reads it.

The engine says each sentence of an explanation as a **phrase**: a tuple ``(key, *args)`` —
``("sum", "2.000", "30.00", 10, 30, "20.00")`` — whose ``key`` names a sentence of
:data:`PHRASES` and whose ``args`` are its numbers and codes, JSON values only: numbers as
strings with a decimal point (the digits the engine rounded to, never a float), dates as
ISO strings, codes (a resource, a volume source) as codes, a nested phrase as a tuple.
The sentence itself (an English msgid, translated like every string of the interface, in
the gettext context ``explanation``) is chosen when the line is shown, in the reader's
language: the Ukrainian screen reads «Сума = 2,000 × 30,00 × 10/30 = 20,00 грн», the
English one «Amount = 2.000 × 30.00 × 10/30 = 20.00 UAH».

Stored (``charge_line.explanation``), an explanation is its phrases one per line, each as a
compact JSON array (:func:`encode`). A line that is not a JSON array is text written before
the explanations became codes: it is shown as it was written.

The run's warnings (``billing_warning.message``) are phrases too, stored the same way: one
phrase, whose arguments may nest the phrases of a meter's reason.

Nothing here knows Flask: a :class:`Renderer` is given the translation function (the views
and reports bind it to the request's language, ``app.services.explanations``; the tests use
:func:`ukrainian`, the compiled catalogue read with the standard library).
"""
from __future__ import annotations

import gettext as _gettext
import json
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from .money import number_digits

CONTEXT = "explanation"


def C_(context: str, text: str) -> str:
    """Marks ``text`` for the catalogue in the gettext ``context`` (extracted as ``C_:1c,2``)."""
    return text


Phrase = tuple


def num(value, places: int | None = None) -> str:
    """A number as a phrase keeps it: :func:`~app.billing.money.number_digits`, the digits
    :func:`~app.billing.money.format_number` shows, with a decimal point."""
    return number_digits(value, places)


def money(value) -> str:
    return num(value, 2)


def day(value: date) -> str:
    return value.isoformat()


# The labels a phrase names by code.
LABELS = {
    "resource": {"cold_water": C_("explanation", "cold water"), "hot_water": C_("explanation", "hot water"),
                 "heat": C_("explanation", "heat"), "gas": C_("explanation", "gas"),
                 "electricity": C_("explanation", "electricity"), "sewerage": C_("explanation", "sewerage")},
    "source": {"actual": C_("explanation", "by the readings"),
               "estimated": C_("explanation", "estimated by the average daily consumption"),
               "true_up": C_("explanation", "adjustment after estimates"), "norm": C_("explanation", "by the norm")},
    "key": {"volume": C_("explanation", "in proportion to the volumes"),
            "persons": C_("explanation", "in proportion to the number of residents"),
            "area": C_("explanation", "in proportion to the area")},
    "heat_method": {"area": C_("explanation", "by the heated area"),
                    "units": C_("explanation", "by the allocators' and meters' units with a minimum share"),
                    "partial": C_("explanation", "partial metering: the meters, the rest by area"),
                    "area_fallback": C_("explanation", "by area (the fallback rule)")},
    "claim": {"not_provided": C_("explanation", "service not provided"),
              "poor_quality": C_("explanation", "poor quality")},
    "line_kind": {"charge": C_("explanation", "charge"), "imbalance": C_("explanation", "imbalance"),
                  "benefit": C_("explanation", "benefit"), "penalty": C_("explanation", "penalty")},
    "device": {"heat": C_("explanation", "heat meter"), "heat_allocator": C_("explanation", "heat cost allocator")},
}

# key → (the sentence, its arguments as ``name:type``). Types: ``n`` a number, ``m`` money,
# ``i`` a whole number, ``d`` a date (дд.мм.рррр), ``dm`` a date without the year (дд.мм),
# ``s`` text as it is (a serial, a unit, an agreement's number), ``p`` a phrase, ``ps``
# phrases joined by «; », ``*LABEL`` a code of :data:`LABELS`. Keys are short: they are
# stored on every line.
PHRASES: dict[str, tuple[str, tuple[str, ...]]] = {
    # the quantity (charges.py)
    "qty": (C_("explanation", "Quantity: %(q)s %(unit)s"), ("q:n", "unit:s")),
    "area_heated": (C_("explanation", "Heated area: %(q)s m²"), ("q:n",)),
    "area_total": (C_("explanation", "Total area: %(q)s m²"), ("q:n",)),
    "persons": (C_("explanation", "Residents counted: %(n)s"), ("n:i",)),
    "vol": (C_("explanation", "Volume: %(q)s %(unit)s (%(source)s)"), ("q:n", "unit:s", "source:*source")),
    "imb": (C_("explanation", "House imbalance (meter No. %(serial)s): Vh %(house)s − ΣVi %(individual)s = "
               "Δ %(difference)s %(unit)s"),
            ("serial:s", "house:n", "individual:n", "difference:n", "unit:s")),
    "imb_share": (C_("explanation", "Allocation %(key)s: the premise's share %(q)s %(unit)s"),
                  ("key:*key", "q:n", "unit:s")),
    "sew": (C_("explanation", "Sewerage = the sum of the premise's water volumes: %(q)s %(unit)s"),
            ("q:n", "unit:s")),
    "sew_imb": (C_("explanation", "+ imbalance (%(resource)s): %(share)s %(unit)s"),
                ("resource:*resource", "share:n", "unit:s")),
    "meter": (C_("explanation", "%(resource)s: %(reason)s"), ("resource:*resource", "reason:ps")),
    "cover": (C_("explanation", "%(resource)s: the meters worked %(covered)s of %(month_days)s days — monthly base "
                 "%(volume)s × %(month_days)s/%(covered)s"),
              ("resource:*resource", "covered:i", "month_days:i", "volume:n")),
    "norm": (C_("explanation", "%(resource)s by the norm: %(persons)s pers. × %(norm)s %(unit)s = %(total)s %(unit)s "
                "(%(reason)s)"),
             ("resource:*resource", "persons:s", "norm:n", "unit:s", "total:n", "reason:ps")),
    "no_norm": (C_("explanation", "%(resource)s: no consumption norm — volume 0"), ("resource:*resource",)),
    "heat_house": (C_("explanation", "House volume Vh = %(house)s %(unit)s (meter No. %(serial)s, %(source)s)"),
                   ("house:n", "unit:s", "serial:s", "source:*source")),
    "heat_vs": (C_("explanation", "Vs (the in-house system and the common areas) = %(vs)s: the share by total area "
                   "%(share)s"), ("vs:n", "share:n")),
    "heat_vr": (C_("explanation", "Vr = %(vr)s allocated %(method)s: share %(share)s"),
                ("vr:n", "method:*heat_method", "share:n")),
    "heat_share": (C_("explanation", "The premise's share (largest remainder method): %(q)s %(unit)s"),
                   ("q:n", "unit:s")),
    # the meters' volumes (volumes.py): the reasons
    "overdue": (C_("explanation", "overdue verification of meter No. %(serial)s (until %(until)s)"),
                ("serial:s", "until:d")),
    "read": (C_("explanation", "meter No. %(serial)s: %(end)s − %(start)s = %(used)s"),
             ("serial:s", "end:n", "start:n", "used:n")),
    "read_rolled": (C_("explanation", "meter No. %(serial)s: %(end)s − %(start)s (rollover) = %(used)s"),
                    ("serial:s", "end:n", "start:n", "used:n")),
    "true_up": (C_("explanation", "minus what was charged without readings for %(months)s mo. (%(volume)s) — "
                   "adjustment"), ("months:i", "volume:n")),
    "unread": (C_("explanation", "meter No. %(serial)s: month %(n)s in a row without readings"),
               ("serial:s", "n:i")),
    "no_history": (C_("explanation", "meter No. %(serial)s: no readings and no consumption history"), ("serial:s",)),
    "estimate": (C_("explanation", "meter No. %(serial)s: no reading — daily average %(rate)s × %(days)s d. = "
                    "%(volume)s"), ("serial:s", "rate:n", "days:i", "volume:n")),
    "no_meter": (C_("explanation", "no meter"), ()),
    "no_meter_days": (C_("explanation", "days without a meter"), ()),
    # the price, the days, the amount (charges.py)
    "tariff": (C_("explanation", "Tariff %(price)s UAH%(unit)s from %(from)s"),
               ("price:n", "unit:unit", "from:d")),
    "tariff_parts": (C_("explanation", "Tariff %(price)s UAH%(unit)s from %(from)s (%(parts)s)"),
                     ("price:n", "unit:unit", "from:d", "parts:parts")),
    "days": (C_("explanation", "Days: %(from)s–%(to)s, %(days)s of %(month_days)s"),
             ("from:dm", "to:d", "days:i", "month_days:i")),
    "act": (C_("explanation", "Claim act No. %(number)s (%(what)s, %(from)s–%(to)s): reduction %(pct)s %%"),
            ("number:s", "what:*claim", "from:dm", "to:d", "pct:n")),
    "sum": (C_("explanation", "Amount = %(q)s × %(price)s × %(days)s/%(month_days)s = %(amount)s UAH"),
            ("q:n", "price:n", "days:i", "month_days:i", "amount:m")),
    "sum_reduced": (C_("explanation", "Amount = %(q)s × %(price)s × %(days)s/%(month_days)s × (1 − %(reduction)s) = "
                       "%(amount)s UAH"), ("q:n", "price:n", "days:i", "month_days:i", "reduction:n", "amount:m")),
    "one_off": (C_("explanation", "One-off service %(date)s: quantity %(q)s"), ("date:d", "q:n")),
    "sum_one_off": (C_("explanation", "Amount = %(q)s × %(price)s = %(amount)s UAH"), ("q:n", "price:n", "amount:m")),
    # benefits (engine.py)
    "benefit": (C_("explanation", "Benefit %(pct)s %%: entitled persons E = %(e)s, residents R = %(r)s (on %(day)s)"),
                ("pct:n", "e:i", "r:i", "day:d")),
    "benefit_category": (C_("explanation", "Benefit %(category)s %(pct)s %%: entitled persons E = %(e)s, residents "
                            "R = %(r)s (on %(day)s)"), ("category:s", "pct:n", "e:i", "r:i", "day:d")),
    "benefit_s": (C_("explanation", "S = charged for the service in the month: %(total)s UAH"), ("total:m",)),
    "benefit_ratio": (C_("explanation", "%(norm)s → min(1, N/Q) = %(ratio)s"), ("norm:p", "ratio:n")),
    "social_norm": (C_("explanation", "Social norm N = %(norm)s %(unit)s for %(r)s pers.; Q = %(q)s %(unit)s"),
                    ("norm:n", "unit:s", "r:i", "q:n")),
    "social_norm_no_hot": (C_("explanation", "Social norm N = %(norm)s %(unit)s for %(r)s pers.; Q = %(q)s %(unit)s "
                              "(without the hot water service)"), ("norm:n", "unit:s", "r:i", "q:n")),
    "no_social_norm": (C_("explanation", "A service without a social norm"), ()),
    "benefit_days": (C_("explanation", "min(E, R) × v = %(person_days)s person-days (v = %(v)s of %(month_days)s "
                        "days)"), ("person_days:i", "v:i", "month_days:i")),
    "benefit_sum": (C_("explanation", "Benefit = −%(total)s × %(ratio)s × %(person_days)s/(%(r)s × %(month_days)s) × "
                       "%(pct)s/100 = %(amount)s UAH"),
                    ("total:m", "ratio:n", "person_days:i", "r:i", "month_days:i", "pct:n", "amount:m")),
    # penalties (penalties.py)
    "penalty": (C_("explanation", "Penalty %(rate)s %% for each day overdue: due date %(due)s, the penalty from the "
                   "first working day after it, %(start)s"), ("rate:n", "due:d", "start:d")),
    "penalty_restructured": (C_("explanation", "The debt under restructuring agreement %(agreement)s (%(amount)s UAH) "
                                "is not in the base"), ("agreement:s", "amount:m")),
    "penalty_restructured_until": (C_("explanation", "The debt under restructuring agreement %(agreement)s "
                                      "(%(amount)s UAH) is not in the base until %(until)s"),
                                   ("agreement:s", "amount:m", "until:d")),
    "penalty_unpaid": (C_("explanation", "The unpaid penalty of earlier months %(amount)s UAH is not in the base"),
                       ("amount:m",)),
    "penalty_days": (C_("explanation", "%(from)s–%(to)s: %(days)s d. × %(base)s UAH × %(rate)s %% = %(amount)s UAH"),
                     ("from:d", "to:d", "days:i", "base:m", "rate:n", "amount:m")),
    "penalty_exempt": (C_("explanation", "The account is exempt from the penalty: %(days)s d. without penalty"),
                       ("days:i",)),
    "penalty_total": (C_("explanation", "Total for %(days)s d. = %(amount)s UAH"), ("days:i", "amount:m")),
    "penalty_cap": (C_("explanation", "At most 100 %% of the debt: %(largest)s UAH − the penalty charged before "
                       "%(before)s UAH = %(amount)s UAH"), ("largest:m", "before:m", "amount:m")),
    # recalculations of closed months (services/billing/recalculation.py)
    "recalc": (C_("explanation", "Recalculation for %(month)s (%(kind)s): by the current data %(now)s UAH (quantity "
                  "%(now_q)s), charged before %(was)s UAH (quantity %(was_q)s); difference %(delta)s UAH"),
               ("month:s", "kind:*line_kind", "now:m", "now_q:n", "was:m", "was_q:n", "delta:m")),
    "recalc_penalty": (C_("explanation", "Recalculation for %(month)s (%(kind)s): by the current data %(now)s UAH, "
                          "charged before %(was)s UAH; difference %(delta)s UAH"),
                       ("month:s", "kind:*line_kind", "now:m", "was:m", "delta:m")),
    "recalc_cancelled": (C_("explanation", "Restructuring agreement %(agreements)s cancelled: the penalty for "
                            "%(month)s is computed without it — on the debt it kept out of the penalty base"),
                         ("agreements:s", "month:s")),
    "in": (C_("explanation", "  %(month)s: %(text)s"), ("month:s", "text:p")),
    # the run's warnings (billing_warning.message: one phrase), for the accountant to look at
    "w_imb_none": (C_("explanation", "no premises to allocate the imbalance to"), ()),
    "w_imb_key": (C_("explanation", "the imbalance cannot be allocated %(key)s (every weight is zero) — allocated by "
                     "area"), ("key:*key",)),
    "w_imb_area": (C_("explanation", "the imbalance is not allocated: zero areas"), ()),
    "w_heat_none": (C_("explanation", "no premises in the group"), ()),
    "w_heat_central": (C_("explanation", "no premise of the group has central heating — Vr allocated by the total "
                          "area"), ()),
    "w_heat_negative": (C_("explanation", "negative house volume %(q)s Gcal — allocated by area only"), ("q:n",)),
    "w_heat_area": (C_("explanation", "zero areas — the volume is not allocated"), ()),
    "w_heat_units": (C_("explanation", "the allocators' and meters' readings add up to zero — Vr allocated by area"),
                     ()),
    "w_heat_some": (C_("explanation", "allocators are not installed in every premise — Vr allocated by area"), ()),
    "w_heat_ignored": (C_("explanation", "allocators without a heat meter are not counted under partial metering — "
                          "such premises are allocated by area"), ()),
    "w_heat_over": (C_("explanation", "partial metering: the premises' meters (%(metered)s Gcal) exceed Vr (%(vr)s "
                       "Gcal), R < 0 — the whole house is allocated by area"), ("metered:n", "vr:n")),
    "w_no_heat_share": (C_("explanation", "service %(service)s: premise %(premise)s has no share of the house heat "
                           "meter's volume for the month — not charged"), ("service:s", "premise:s")),
    "w_no_price": (C_("explanation", "service %(service)s: no price for some days of the month or the whole month — "
                      "the days without a price are not charged"), ("service:s",)),
    "w_no_norm": (C_("explanation", "service %(service)s: no consumption norm for some days of the month or the "
                     "whole month — the volume by the norm is 0"), ("service:s",)),
    "w_unknown": (C_("explanation", "the subscription of account %(account)s to service %(service)s: no such "
                     "account, service or premise in the input"), ("account:s", "service:s")),
    "w_gas": (C_("explanation", "premise %(premise)s: no gas consumption category — the social norm of gas is taken "
                 "for category 1"), ("premise:s",)),
    "w_premise": (C_("explanation", "premise %(premise)s: %(text)s"), ("premise:s", "text:ps")),
    "w_reasons": (C_("explanation", "%(text)s"), ("text:ps",)),
    "w_house_overdue": (C_("explanation", "the verification of house meter No. %(serial)s is overdue since "
                           "%(since)s"), ("serial:s", "since:d")),
    "w_lower": (C_("explanation", "reading %(end)s of meter No. %(serial)s is lower than the previous one, "
                   "%(start)s: taken as no reading"), ("end:n", "serial:s", "start:n")),
    "w_months": (C_("explanation", "house meter No. %(serial)s: the previous reading is of %(since)s — the month's "
                    "volume covers several months"), ("serial:s", "since:d")),
    "w_house_unread": (C_("explanation", "house meter No. %(serial)s (%(resource)s): no actual reading — the "
                          "imbalance is not allocated"), ("serial:s", "resource:*resource")),
    "w_meter": (C_("explanation", "meter No. %(serial)s: %(text)s"), ("serial:s", "text:p")),
    "w_heat_meter": (C_("explanation", "house heat meter No. %(serial)s: %(text)s"), ("serial:s", "text:p")),
    "w_heat_no_volume": (C_("explanation", "house heat meter No. %(serial)s: no reading and no history — no heating "
                            "is charged by this meter"), ("serial:s",)),
    "w_heat_estimated": (C_("explanation", "house heat meter No. %(serial)s: no reading — the house volume is "
                            "estimated by the average daily consumption (%(q)s Gcal)"), ("serial:s", "q:n")),
    "w_heat_unbilled": (C_("explanation", "house heat meter No. %(serial)s: the share of %(q)s Gcal of premise "
                           "%(premise)s is charged to nobody (no heating service)"),
                        ("serial:s", "q:n", "premise:s")),
    "w_device": (C_("explanation", "premise %(premise)s: the %(device)s is not counted in the allocation — "
                    "%(reason)s"), ("premise:s", "device:*device", "reason:ps")),
    "w_tariff_parts": (C_("explanation", "the tariff of service %(service)s from %(from)s: its components do not add "
                          "up to the price — the components are not shown"), ("service:s", "from:d")),
}

_SPECS = {key: (msgid, tuple(tuple(arg.split(":", 1)) for arg in args)) for key, (msgid, args) in PHRASES.items()}


def encode(phrases: Iterable[Phrase]) -> str:
    """The stored form of an explanation: one compact JSON array per phrase, one per line."""
    return "\n".join(_encoded(p) for p in phrases)


class _Cache(dict):
    """``key → make(key)``, made on the first lookup and kept — bounded: emptied when it reaches
    ``limit`` (a whole town's month holds a few hundred thousand distinct phrases and lines)."""

    __slots__ = ("make", "limit")

    def __init__(self, make, limit: int):
        super().__init__()
        self.make, self.limit = make, limit

    def __missing__(self, key):
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value


# a phrase's JSON (a month's lines repeat their tariffs, days and meters)
_ENCODED = _Cache(lambda phrase: json.dumps(phrase, ensure_ascii=False, separators=(",", ":")), 200_000)
_encoded = _ENCODED.__getitem__


class Renderer:
    """Phrases into sentences of one language. ``translate(context, msgid)`` gives a
    sentence's translation; ``comma``: the decimal separator is a comma (Ukrainian)."""

    def __init__(self, translate: Callable[[str, str], str], comma: bool = True):
        self.translate = translate
        self.comma = comma
        self._templates: dict[str, str] = {}
        self._labels: dict[tuple[str, str], str] = {}
        self._lines = _Cache(self._line, 500_000)

    def lines(self, stored: str | None) -> list[str]:
        """The sentences of a stored explanation (:func:`encode`), one per line."""
        if not stored:
            return []
        return list(map(self._lines.__getitem__, stored.split("\n")))

    def text(self, stored: str | None) -> str:
        """The sentences of a stored explanation joined by new lines (a report's cell): each stored
        line rendered once — a month's lines repeat their tariffs, days and meters."""
        if not stored:
            return ""
        return "\n".join(map(self._lines.__getitem__, stored.split("\n")))

    def phrases(self, phrases: Iterable[Phrase]) -> list[str]:
        """The sentences of the engine's phrases (not stored yet)."""
        return [self.phrase(p) for p in phrases]

    def _line(self, line: str) -> str:
        if not line.startswith("["):
            return line  # text written before the explanations became codes
        try:
            phrase = json.loads(line)
        except ValueError:
            return line
        return self.phrase(phrase)

    def phrase(self, phrase) -> str:
        if isinstance(phrase, str):
            return phrase
        key, args = phrase[0], phrase[1:]
        spec = _SPECS.get(key)
        if spec is None or len(args) != len(spec[1]):
            return " ".join(str(part) for part in phrase)  # a phrase this version does not know
        msgid, params = spec
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self.translate(CONTEXT, msgid)
        values = {name: self._value(kind, value) for (name, kind), value in zip(params, args)}
        try:
            return template % values
        except (KeyError, ValueError, TypeError):  # a broken translation: the English sentence
            return msgid % values

    def _value(self, kind: str, value) -> str:
        if value is None:
            return ""
        if kind == "n" or kind == "m":
            text = str(value)
            return text.replace(".", ",") if self.comma else text
        if kind == "i" or kind == "s":
            return str(value)
        if kind == "d":
            return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
        if kind == "dm":
            return f"{value[8:10]}.{value[5:7]}"
        if kind == "p":
            return self.phrase(value)
        if kind == "ps":
            return "; ".join(self.phrase(p) for p in value)
        if kind == "unit":
            return f"/{value}" if value else ""
        if kind == "parts":  # a price's components: [[name, price], …]
            return " + ".join(f"{name} {self._value('n', price)}" for name, price in value)
        if kind.startswith("*"):
            return self.label(kind[1:], value)
        return str(value)

    def label(self, table: str, code: str) -> str:
        key = (table, code)
        text = self._labels.get(key)
        if text is None:
            msgid = LABELS.get(table, {}).get(code)
            text = self._labels[key] = self.translate(CONTEXT, msgid) if msgid else str(code)
        return text


def catalogue_dirs() -> list[Path]:
    """Where the compiled catalogues are: a wheel's ``app/translations``, a checkout's ``translations``."""
    package = Path(__file__).resolve().parents[1]
    return [package / "translations", package.parent / "translations"]


_UKRAINIAN: Renderer | None = None


def ukrainian() -> Renderer:
    """The Ukrainian renderer without Flask (the engine's warnings, the tests): the compiled
    catalogue read with :mod:`gettext`."""
    global _UKRAINIAN
    if _UKRAINIAN is None:
        catalogue = None
        for folder in catalogue_dirs():
            if (folder / "uk" / "LC_MESSAGES" / "messages.mo").exists():
                catalogue = _gettext.translation("messages", str(folder), languages=["uk"])
                break
        translate = catalogue.pgettext if catalogue is not None else (lambda context, msgid: msgid)
        _UKRAINIAN = Renderer(translate, comma=True)
    return _UKRAINIAN


def english() -> Renderer:
    return Renderer(lambda context, msgid: msgid, comma=False)

