"""An amount of money in Ukrainian words, as documents write it: «Двадцять три тисячі сімсот
вісімдесят дві гривні 41 копійка» (гривні in words, копійки in digits). The language's own
grammar — gender (одна гривня, один мільйон) and the three plural forms — so it is Ukrainian
only, not a translated string."""
from __future__ import annotations

from decimal import Decimal

from ...billing.money import round_money

_ONES_M = ("", "один", "два", "три", "чотири", "пʼять", "шість", "сім", "вісім", "девʼять")
_ONES_F = ("", "одна", "дві", "три", "чотири", "пʼять", "шість", "сім", "вісім", "девʼять")
_TEENS = ("десять", "одинадцять", "дванадцять", "тринадцять", "чотирнадцять", "пʼятнадцять", "шістнадцять",
          "сімнадцять", "вісімнадцять", "девʼятнадцять")
_TENS = ("", "", "двадцять", "тридцять", "сорок", "пʼятдесят", "шістдесят", "сімдесят", "вісімдесят", "девʼяносто")
_HUNDREDS = ("", "сто", "двісті", "триста", "чотириста", "пʼятсот", "шістсот", "сімсот", "вісімсот", "девʼятсот")
# (one, two to four, many, feminine)
_SCALES = (
    None,
    ("тисяча", "тисячі", "тисяч", True),
    ("мільйон", "мільйони", "мільйонів", False),
    ("мільярд", "мільярди", "мільярдів", False),
    ("трильйон", "трильйони", "трильйонів", False),
)
HRYVNIA = ("гривня", "гривні", "гривень")
KOPIYKA = ("копійка", "копійки", "копійок")


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """The form of a noun after the number ``n``: 1 гривня, 2 гривні, 5 гривень, 11 гривень, 21 гривня."""
    n = abs(n)
    if 11 <= n % 100 <= 19:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    if 2 <= n % 10 <= 4:
        return forms[1]
    return forms[2]


def _triple(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        words += [_TENS[rest // 10], (_ONES_F if feminine else _ONES_M)[rest % 10]]
    return [w for w in words if w]


def number_in_words(n: int, feminine: bool = False) -> str:
    """A whole number ≥ 0 in words (``feminine``: одна, дві — as before «гривня»)."""
    if n < 0:
        raise ValueError("a negative number")
    if n == 0:
        return "нуль"
    words, scale = [], 0
    while n:
        n, part = divmod(n, 1000)
        if part:
            if scale >= len(_SCALES):
                raise ValueError("too large a number")
            if scale == 0:
                words[:0] = _triple(part, feminine)
            else:
                one, few, many, fem = _SCALES[scale]
                words[:0] = _triple(part, fem) + [plural(part, (one, few, many))]
        scale += 1
    return " ".join(words)


def money_in_words(amount: Decimal) -> str:
    """``Decimal("23782.41")`` → «Двадцять три тисячі сімсот вісімдесят дві гривні 41 копійка»
    (the absolute value: the caller says whether it is a debt or an advance)."""
    amount = abs(round_money(amount))
    hryvni = int(amount)
    kopiyky = int((amount - hryvni) * 100)
    text = (f"{number_in_words(hryvni, feminine=True)} {plural(hryvni, HRYVNIA)} "
            f"{kopiyky:02d} {plural(kopiyky, KOPIYKA)}")
    return text[0].upper() + text[1:]
