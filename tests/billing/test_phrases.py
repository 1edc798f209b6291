"""The charge explanations as codes and numbers (app/billing/phrases.py): every phrase says its
sentence in Ukrainian and in English, the stored form reads back, old text stays as it was."""
import json
import re
from datetime import date

from app.billing import phrases as P
from app.billing.phrases import LABELS, PHRASES, encode, english, ukrainian

from .town import D

SAMPLE = {"n": "12.500", "m": "-20.42", "i": 30, "s": "ДР-2026-0001", "d": "2026-11-30", "dm": "2026-11-01",
          "unit": "м³", "parts": [["вода", "30.00"], ["підігрів", "60.00"]], "p": ["no_meter"],
          "ps": [["no_meter"], ["no_meter_days"]]}
CYRILLIC = re.compile("[\u0400-\u04ff]")


def _sample(key):
    args = []
    for spec in PHRASES[key][1]:
        kind = spec.split(":", 1)[1]
        args.append(next(iter(LABELS[kind[1:]])) if kind.startswith("*") else SAMPLE[kind])
    return [key, *args]


def test_every_phrase_has_a_ukrainian_sentence_and_an_english_one():
    uk, en = ukrainian(), english()
    for key in PHRASES:
        phrase = _sample(key)
        ukrainian_text, english_text = uk.phrase(phrase), en.phrase(phrase)
        assert ukrainian_text != english_text or key in ("in", "meter", "benefit_ratio"), key
        # the English sentence has no Ukrainian word but the data's own (a unit, an agreement's number, a name)
        data = CYRILLIC.sub("", "".join(str(a) for a in phrase[1:]))
        assert not CYRILLIC.search(english_text.replace("м³", "").replace("ДР-", "").replace("вода", "")
                                   .replace("підігрів", "")), (key, english_text, data)
        assert "%(" not in ukrainian_text and "%(" not in english_text, key
    for table, labels in LABELS.items():
        for code in labels:
            assert CYRILLIC.search(uk.label(table, code)) and not CYRILLIC.search(en.label(table, code)), (table, code)


def test_a_charge_line_reads_in_each_language_with_its_own_decimal_separator():
    stored = encode([("vol", P.num(D("3.500")), "м³", "actual"),
                     ("meter", "cold_water", (("read", "160000142", P.num(D("126.500")), P.num(D("123.000")),
                                               P.num(D("3.500"))),)),
                     ("tariff", P.num(D("38.50")), "м³", P.day(date(2026, 1, 1))),
                     ("days", P.day(date(2026, 11, 1)), P.day(date(2026, 11, 30)), 30, 30),
                     ("sum", P.num(D("3.500")), P.num(D("38.50")), 30, 30, P.money(D("134.75")))])
    assert ukrainian().lines(stored) == [
        "Обсяг: 3,500 м³ (за показниками)",
        "холодна вода: лічильник № 160000142: 126,500 − 123,000 = 3,500",
        "Тариф 38,50 грн/м³ з 01.01.2026",
        "Дні: 01.11–30.11.2026, 30 з 30",
        "Сума = 3,500 × 38,50 × 30/30 = 134,75 грн"]
    assert english().lines(stored) == [
        "Volume: 3.500 м³ (by the readings)",
        "cold water: meter No. 160000142: 126.500 − 123.000 = 3.500",
        "Tariff 38.50 UAH/м³ from 01.01.2026",
        "Days: 01.11–30.11.2026, 30 of 30",
        "Amount = 3.500 × 38.50 × 30/30 = 134.75 UAH"]


def test_the_stored_form_is_codes_and_numbers_one_json_array_a_line():
    stored = encode([("tariff_parts", "90.00", "м³", "2026-01-01", (("вода", "30.00"), ("підігрів", "60.00"))),
                     ("in", "2026-10", ("penalty_total", 17, "0.51"))])
    first, second = stored.split("\n")
    assert json.loads(first) == ["tariff_parts", "90.00", "м³", "2026-01-01", [["вода", "30.00"], ["підігрів", "60.00"]]]
    assert second == '["in","2026-10",["penalty_total",17,"0.51"]]'
    assert ukrainian().lines(stored) == ["Тариф 90,00 грн/м³ з 01.01.2026 (вода 30,00 + підігрів 60,00)",
                                         "  2026-10: Разом за 17 дн. = 0,51 грн"]
    assert english().lines(stored) == ["Tariff 90.00 UAH/м³ from 01.01.2026 (вода 30.00 + підігрів 60.00)",
                                       "  2026-10: Total for 17 d. = 0.51 UAH"]


def test_zero_and_negative_numbers_are_kept_as_the_engine_rounded_them():
    assert ukrainian().phrase(("sum", "0.000", "38.50", 0, 31, "0.00")) == "Сума = 0,000 × 38,50 × 0/31 = 0,00 грн"
    assert ukrainian().phrase(("recalc_penalty", "2026-10", "penalty", "0.00", "1.42", "-1.42")) == (
        "Перерахунок за 2026-10 (пеня): за поточними даними 0,00 грн, нараховано раніше 1,42 грн; різниця -1,42 грн")
    assert P.num(D("12.500")) == "12.500" and P.money(D("0.005")) == "0.01" and P.num(0) == "0"


def test_text_stored_before_the_codes_is_shown_as_it_was():
    old = "Обсяг: 3,5 м³ (за показниками)\nСума = 3,5 × 38,5 × 30/30 = 134,75 грн"
    assert ukrainian().lines(old) == old.split("\n") and english().lines(old) == old.split("\n")
    assert ukrainian().lines(None) == [] and ukrainian().lines("") == []


def test_a_phrase_this_version_does_not_know_is_shown_not_refused():
    assert ukrainian().lines('["from_a_newer_version",1,"2.5"]') == ["from_a_newer_version 1 2.5"]
    assert ukrainian().lines('["sum","1"]') == ["sum 1"]  # a known key with the wrong arguments
    assert ukrainian().lines("[not json") == ["[not json"]


def test_the_phrase_caches_are_bounded():
    """A phrase's JSON and a stored line's sentence are kept, made once — and emptied at their
    limit, so a process that renders a town's month for years does not grow without end."""
    from app.billing.phrases import _Cache

    made = []
    cache = _Cache(lambda key: made.append(key) or key.upper(), 2)
    assert [cache["a"], cache["b"], cache["a"]] == ["A", "B", "A"] and made == ["a", "b"]
    assert cache["c"] == "C" and len(cache) == 1 and made == ["a", "b", "c"]  # emptied at its limit


def test_every_phrase_reads_in_both_languages():
    """Each key of the table — the explanations' and the warnings' — with arguments of its types
    is a whole sentence in Ukrainian and in English: no placeholder left, not the unknown key's
    fallback, the Ukrainian translated (not the English msgid)."""
    from app.billing.phrases import LABELS, PHRASES, english, ukrainian

    sample = {"n": "1.5", "m": "2.00", "i": 3, "s": "X-1", "d": "2026-01-31", "dm": "2026-01-31",
              "p": ("no_meter",), "ps": (("no_meter",), ("no_meter_days",)), "unit": "м³",
              "parts": (("вода", "1.00"),)}
    uk, en = ukrainian(), english()
    for key, (msgid, params) in PHRASES.items():
        args = []
        for param in params:
            kind = param.split(":", 1)[1]
            args.append(next(iter(LABELS[kind[1:]])) if kind.startswith("*") else sample[kind])
        phrase = (key, *args)
        ukrainian_text, english_text = uk.phrase(phrase), en.phrase(phrase)
        for text in (ukrainian_text, english_text):
            assert "%(" not in text and text != " ".join(str(part) for part in phrase), (key, text)
        if msgid.strip() not in ("%(text)s", "%(month)s: %(text)s"):
            assert ukrainian_text != english_text.replace(".", ","), (key, ukrainian_text)  # not the msgid
