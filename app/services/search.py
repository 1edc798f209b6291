"""Search as typed: the words of one search box (list screens and pickers) turned into SQL.

«Соборна 1 5», «коваленко», «160000142», «вул. Соборна, 1, кв. 5»: the text is split into
words (spaces and commas; «кв.», «№» dropped), and **every word must match somewhere** in the
record — several words narrow. Case does not matter, Ukrainian letters included (PostgreSQL:
``ILIKE``, which folds Cyrillic by the database's ctype, e.g. ``C.UTF-8``; SQLite: see
:func:`_like`); an apostrophe matches any apostrophe (', ’, ʼ).

What a word matches, by the record (:data:`SEARCHES`):

* an address — the building's address contains the word; a word with a digit («1», «12а»)
  is a building number (a whole part of the address: «1» finds «вул. Соборна, 1», not «…, 11»)
  or a flat number (exactly); after «кв.» («кв. 5», «кв.5») only the flat's number;
* a number or serial — a word with a digit: contains the word (three characters or more; a
  shorter one is the whole number); a word of Latin letters: its start;
* a name — contains the word; РНОКПП (exactly), and an owner's name found through a meter, only
  for users who may see personal data (``security.may_see_personal_data``, the rule of the
  audit log).

Set-based: one statement with the page and one with its count; the caller adds the inspector's
scope, the order and the page. The condition of each word is ``IN`` sub-selects of the premises
and buildings it matches; on PostgreSQL an account, a premise or a meter is found instead by one
**narrowed** sub-select (:func:`_narrowed`): the record joined to its premise and building, its
rows found through one word — the most selective, :func:`_lead`: a flat's number, else a word
with a digit, else the longest — each way of that word by its own index, and every other word
checked on the joined rows found (``premise.number = '5'`` on the joined premise, not an ``IN``
of every premise numbered 5 — which the planner hashed and probed for every account).
"""
import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import and_, false, or_, select, union

from ..models import Account, Building, Meter, Premise, Resident

MAX_WORDS = 8
MAX_TEXT = 100
_SPLIT = re.compile(r"[\s,;]+")
_APOSTROPHES = "'’ʼ`‘"
_NOISE = {"кв", "кв.", "№", "-", "—", "–"}
_PREFIXES = ("кв.", "кв", "№")
_NOTHING = false()  # a way of matching that does not apply to the word


class Word(str):
    """A search word; ``flat``: marked as a flat's number («кв. 5», «кв.5»): the flat only;
    ``building``: a number beside a marked flat («Шевченка 1 кв. 5»): the building's, not a flat's."""

    flat = False
    building = False

    @classmethod
    def of(cls, text: str, flat: bool = False) -> "Word":
        word = cls(text)
        word.flat = flat
        return word


def words(text) -> list[Word]:
    """The search words of ``text``: split at spaces and commas, the marks of a flat or a number
    («кв.», «№») dropped — a number after «кв.» is the flat's —, at most :data:`MAX_WORDS`."""
    found = []
    flat_next = False
    text = "".join(ch for ch in str(text or "")[:MAX_TEXT] if ch.isprintable() or ch.isspace())  # no NUL (PostgreSQL refuses it)
    for word in _SPLIT.split(text):
        word = word.strip(".:;") or word
        lowered = word.lower()
        if not word or lowered in _NOISE:
            flat_next = flat_next or lowered in ("кв", "кв.")
            continue
        flat = flat_next and has_digit(word)
        flat_next = False
        for prefix in _PREFIXES:
            if lowered.startswith(prefix) and has_digit(word[len(prefix):]):
                flat = flat or prefix.startswith("кв")
                word = word[len(prefix):].lstrip(". ")
                break
        if word:
            found.append(Word.of(word, flat))
    if any(w.flat for w in found):  # the flat is named: another number is the building's
        for w in found:
            w.building = not w.flat and has_digit(w)
    return found[:MAX_WORDS]


def has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def _escaped(word: str) -> str:
    """``word`` for a LIKE pattern (escape ``\\``): its wildcards literal, an apostrophe any one."""
    text = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    for mark in _APOSTROPHES:
        text = text.replace(mark, "_")
    return text


def _case_variants(word) -> list[str]:
    """The word as typed, in lower case, upper case and capitalised («коваль», «КОВАЛЬ», «Коваль»)."""
    word = str(word)
    if word.isascii():  # SQLite's LIKE ignores the case of these itself
        return [word]
    return list(dict.fromkeys((word, word.lower(), word.upper(), word.capitalize())))


def _like(column, word, pattern="%{}%"):
    """``column`` matches ``pattern`` (``{}``: the word, its wildcards literal) in any case.
    PostgreSQL: ``ILIKE`` (its trigram indexes serve it). SQLite: its own ``LIKE`` (which
    ignores the case of Latin letters, in C) of the word in each case of
    :func:`_case_variants` — ``lower()`` of every row, a Python function for Cyrillic, made a
    search of 100,000 accounts take seconds. A name written in lower, upper or title case is
    found by a word typed in any case."""
    if _dialect() == "sqlite":
        return or_(*(column.like(pattern.format(_escaped(variant)), escape="\\")
                     for variant in _case_variants(word)))
    return column.ilike(pattern.format(_escaped(word)), escape="\\")


def _dialect() -> str:
    from ..extensions import db

    return db.session.get_bind().dialect.name


def contains(column, word):
    return _like(column, word)


def equals(column, word):
    """The whole value is the word, as typed or in lower, upper or title case — ``IN``, which
    the column's own index serves (a code, a short number)."""
    word = str(word)
    return column.in_(list(dict.fromkeys((word, word.lower(), word.upper(), word.capitalize()))))


def number_like(column, word):
    """A number or serial: a word with a digit — contained from three characters on, else the
    whole number; a word of Latin letters («M-B», «AB») — the start of it; a word with other
    letters (a street, a name) is no number and costs no scan of the numbers."""
    if not has_digit(word):
        return _like(column, word, "{}%") if str(word).isascii() else _NOTHING
    return contains(column, word) if len(word) >= 3 else equals(column, word)


# --- the address -----------------------------------------------------------------------------
def building_matches(word):
    """A condition on ``Building``: the address contains the (text) word; a word with a digit is
    the building's number — a whole part of the address after a comma or a space — or its code."""
    if not has_digit(word):
        return contains(Building.address, word)
    return or_(*(_like(Building.address, word, pattern) for pattern in ("%, {}", "%, {},%", "% {}", "% {} %")),
               equals(Building.code, word))


def buildings_of(word):
    return select(Building.id).where(building_matches(word))


def flat_number(word):
    """A condition on ``Premise``: its number is the word (any case: «5а», «5А»)."""
    return Premise.number.in_(_case_variants(word))


def premises_of(word):
    """The premises whose address the word matches: the building, or the flat's number (only
    the flat's for a word marked «кв.»)."""
    if getattr(word, "flat", False):
        return select(Premise.id).where(flat_number(word))
    condition = Premise.building_id.in_(buildings_of(word))
    if has_digit(word) and not getattr(word, "building", False):
        condition = or_(condition, flat_number(word))
    return select(Premise.id).where(condition)


def accounts_matching(word, owner: bool):
    """A condition on ``Account`` (no address): the number, and the owner's name if ``owner``."""
    return or_(*_account_branches(word, owner))


def _account_branches(word, owner):
    branches = [number_like(Account.account_number, word)]
    if owner and not has_digit(word):
        branches.append(contains(Account.owner_name, word))
    return branches


# --- each record: the ways a word may match it (any one will do) -----------------------------
def account_word(word, personal):
    """Number, owner (the account's own name: its list and picker show it), address."""
    if getattr(word, "flat", False):
        return [Account.premise_id.in_(premises_of(word))]
    return [*_account_branches(word, True), Account.premise_id.in_(premises_of(word))]


def premise_word(word, personal):
    return [Premise.id.in_(premises_of(word))]


def meter_word(word, personal):
    """Serial, address (the building of a house meter too), the premise's account number, and its
    owner's name for a user who may see personal data (a meter's label shows no name)."""
    if getattr(word, "flat", False):
        return [Meter.premise_id.in_(select(Premise.id).where(flat_number(word)))]
    branches = [number_like(Meter.serial, word), Meter.building_id.in_(buildings_of(word)),
                Meter.premise_id.in_(select(Account.premise_id).where(accounts_matching(word, personal)))]
    if has_digit(word) and not getattr(word, "building", False):
        branches.append(Meter.premise_id.in_(select(Premise.id).where(flat_number(word))))
    return branches


def resident_word(word, personal):
    """Name, the resident's code, and РНОКПП (exactly) for a user who may see personal data."""
    branches = [contains(Resident.full_name, word), equals(Resident.resident_id, word)]
    if personal and word.isdigit():
        branches.append(Resident.rnokpp == str(word))
    return branches


def building_word(word, personal):
    """The address (as for the records in it) or the start of the building's code."""
    return [building_matches(word), _like(Building.code, word, "{}%")]


def _any(model, word, branches):
    """One word's condition: any of its ``branches``. SQLite: their OR. PostgreSQL: ``id IN``
    the union of each branch's rows — an OR of a trigram-indexed ``ILIKE`` and a sub-select is
    a scan of the whole table; each branch alone is found by its own index. A word of one or
    two letters has no trigram (its ``ILIKE`` reads every row): one scan with the OR is cheaper
    than the union. (A short word with a digit is compared whole, by b-tree indexes.)"""
    branches = [b for b in branches if b is not None and b is not _NOTHING]
    if not branches:
        return false()
    if len(branches) == 1 or (len(word) < 3 and not has_digit(word)) or _dialect() != "postgresql":
        return or_(*branches)
    return model.id.in_(union(*(select(model.id).where(b) for b in branches)))


# --- the narrowed shape (PostgreSQL): the record joined to its premise and building ----------
def account_rows(word, personal):
    """:func:`account_word` on the row of ``account`` joined to its premise and building."""
    if getattr(word, "flat", False):
        return [flat_number(word)]
    return [*_account_branches(word, True), *_address_rows(word)]


def premise_rows(word, personal):
    """:func:`premise_word` on the row of ``premise`` joined to its building."""
    if getattr(word, "flat", False):
        return [flat_number(word)]
    return _address_rows(word)


def meter_rows(word, personal):
    """:func:`meter_word` on the row of ``meter`` joined to its building and (outer) premise:
    the account of the premise stays a sub-select (a premise may have several accounts)."""
    if getattr(word, "flat", False):
        return [flat_number(word)]
    return [number_like(Meter.serial, word), building_matches(word),
            Meter.premise_id.in_(select(Account.premise_id).where(accounts_matching(word, personal))),
            *([flat_number(word)] if has_digit(word) and not getattr(word, "building", False) else [])]


def _address_rows(word):
    """The building matches the word; a number (not the building's alone) may be the flat's."""
    rows = [building_matches(word)]
    if has_digit(word) and not getattr(word, "building", False):
        rows.append(flat_number(word))
    return rows


# (``correlate(None)``: a sub-select of its own rows, also inside a picker's query that joins
# the same tables)
def _account_joined():
    return (select(Account.id).join(Premise, Premise.id == Account.premise_id)
            .join(Building, Building.id == Premise.building_id).correlate(None))


def _premise_joined():
    return select(Premise.id).join(Building, Building.id == Premise.building_id).correlate(None)


def _meter_joined():
    return (select(Meter.id).join(Building, Building.id == Meter.building_id)
            .outerjoin(Premise, Premise.id == Meter.premise_id).correlate(None))


def _lead(found: list[Word]) -> Word:
    """The word whose matches are likely the fewest: a flat's number (one flat of each
    building), else a word with a digit (a building, a flat or an account number), else the
    longest; the first of equals."""
    return min(found, key=lambda w: (0 if w.flat else 1 if has_digit(w) else 2, -len(w)))


def _narrowed(model, search, found: list[Word], personal):
    """``model.id IN`` one sub-select of the record joined to its premise and building: the rows
    of :func:`_lead`'s ways of matching (each by its own index: the union of their rows, as in
    :func:`_any`), the other words checked on each joined row found. The same records as the
    words' ``IN`` sub-selects (:attr:`Search.word`), the planner starts from the fewest."""
    lead = _lead(found)
    rest = [or_(*[b for b in search.rows(w, personal) if b is not _NOTHING] or [false()])
            for w in found if w is not lead]
    branches = [b for b in search.rows(lead, personal) if b is not _NOTHING]
    if not branches:
        return false()
    if len(branches) == 1 or (len(lead) < 3 and not has_digit(lead)):
        rows = search.joined().where(or_(*branches), *rest)
        if rest:  # planned on its own, for all its rows (as a union is): ``OFFSET 0``
            rows = rows.offset(0)
    else:
        rows = union(*(search.joined().where(b, *rest) for b in branches))
    return model.id.in_(rows)


@dataclass(frozen=True)
class Search:
    word: Callable  # (word, personal) -> [condition on the model]: any one matches
    # the narrowed shape (PostgreSQL): the same ways on the joined row, and the joined select
    rows: Callable | None = None  # (word, personal) -> [condition on the joined row]
    joined: Callable | None = None  # () -> select(model.id) joined to its premise and building
    # narrowed only when a flat is named (a meter: its building's other words were found faster
    # by their own sets, measured at 100,000 accounts — bench/README.md)
    flat_only: bool = False


SEARCHES: dict[type, Search] = {
    Account: Search(account_word, account_rows, _account_joined),
    Premise: Search(premise_word, premise_rows, _premise_joined),
    Meter: Search(meter_word, meter_rows, _meter_joined, flat_only=True),
    Resident: Search(resident_word),
    Building: Search(building_word),
}


def condition(model, text, personal: bool, narrowed: bool | None = None):
    """The condition of the search ``text`` on ``model`` (every word matches), None if no word.
    ``narrowed`` (default: on PostgreSQL): several words on a record with an address are
    :func:`_narrowed` — the same records as the words' own conditions, found from the fewest."""
    found = words(text)
    if not found:
        return None
    search = SEARCHES[model]
    if narrowed is None:
        narrowed = _dialect() == "postgresql"
    if narrowed and search.joined is not None and len(found) > 1 and \
            (not search.flat_only or any(w.flat for w in found)):  # one word: nothing to narrow by
        return _narrowed(model, search, found, personal)
    return and_(*(_any(model, word, search.word(word, personal)) for word in found))


def searchable(model) -> bool:
    return model in SEARCHES


# --- payments (the payments' list) -------------------------------------------------------------
# Kept apart from the records above: a payment is found through its account, by the same words.
from ..models import Payment  # noqa: E402


def payment_word(word, personal):
    """The payment's identifier — the desk receipt's number («КВ-2026-000123») or the bank's —
    as a number (:func:`number_like`), and its account's number, owner and address
    (:func:`account_word`, through ``Payment.account_id``). The identifier is compared for a
    word marked a flat's too: :func:`words` reads the receipt's «КВ-2026-000123» as «кв.» and
    «-2026-000123» (which the receipt's number contains; no flat is numbered so)."""
    accounts = select(Account.id).where(_any(Account, word, account_word(word, personal)))
    return [number_like(Payment.external_id, word), Payment.account_id.in_(accounts)]


SEARCHES[Payment] = Search(payment_word)
