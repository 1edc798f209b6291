"""One figure, one owner: nothing outside ``app/services/ledger/`` reads or writes the journal's
amounts or the closing balances — every balance, turnover and list of entries a screen, report,
document or API shows is asked of the ledger (the lesson of five modules that summed balances and
disagreed about the open month)."""
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
OWNER = APP / "services" / "ledger"
# the tables' own definitions and their migrations
ALLOWED = (APP / "models", APP / "migrations")
MONEY_OF_THE_BOOKS = re.compile(
    r"JournalEntry\.amount|ClosingBalance|['\"]closing_balance['\"]|insert\(JournalEntry|JournalEntry\.__table__"
    r"|(?i:(?:from|into|update|join)\s+(?:journal_entry|closing_balance)\b)")


def test_only_the_ledger_touches_the_journal_amounts_and_the_closing_balances():
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path.is_relative_to(OWNER) or any(path.is_relative_to(a) for a in ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MONEY_OF_THE_BOOKS.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    assert not offenders, "ask app.services.ledger instead:\n" + "\n".join(offenders)


def test_the_guard_sees_a_sum_of_the_journal():
    assert MONEY_OF_THE_BOOKS.search("select(func.sum(JournalEntry.amount))")
    assert MONEY_OF_THE_BOOKS.search("session.execute(insert(JournalEntry.__table__), rows)")
    assert MONEY_OF_THE_BOOKS.search("text('SELECT SUM(amount) FROM journal_entry')")
    assert not MONEY_OF_THE_BOOKS.search("select(JournalEntry).where(JournalEntry.kind == 'payment')")
    assert not MONEY_OF_THE_BOOKS.search("ledger.store_closing_balances(session, period)")


def test_only_the_language_service_asks_flask_babel_for_the_locale():
    """The reader's language is read in one place (``app/services/language.py``), with one default
    outside a request; three modules used to repeat the same try/except."""
    owner = APP / "services" / "language.py"
    offenders = [f"{path.relative_to(APP.parent)}:{number}: {line.strip()}"
                 for path in sorted(APP.rglob("*.py")) if path != owner
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bget_locale\b", line)]
    assert not offenders, "use app.services.language.current_language():\n" + "\n".join(offenders)


def test_the_language_outside_a_request_is_ukrainian_and_inside_it_the_readers(app):
    from flask_babel import force_locale

    from app.services.language import current_language, uses_comma

    assert (current_language(), uses_comma()) == ("uk", True)
    with app.test_request_context():
        with force_locale("en"):
            assert (current_language(), uses_comma()) == ("en", False)
        with force_locale("uk"):
            assert (current_language(), uses_comma()) == ("uk", True)
