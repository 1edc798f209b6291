"""The import columns of the invoice fields (issue 9): a premise's ``entrance`` and an account's
``einvoice_consent`` / ``einvoice_consent_on`` — good rows stored, bad rows refused with the row,
the column and the reason in Ukrainian, nothing written; the consent date settled as a form settles it."""
from datetime import date, timedelta

from sqlalchemy import select

from .helpers import Town, counts, load, run, write_csv


def _premises(town, *entrances):
    return write_csv([{"building_code": f"{town.p}-B1", "number": str(n), "kind": "apartment", "total_area": "40",
                       "entrance": e} for n, e in enumerate(entrances, start=10)], delimiter=";")


def _accounts(town, *rows):
    """Rows (number, email, consent, date) of new accounts on the premises 1 and 2 of B1 and 1 of B2."""
    places = [("B1", "1"), ("B1", "2"), ("B2", "1")]
    return write_csv([{"account_number": f"{town.p}-C{n}", "building_code": f"{town.p}-{places[n][0]}",
                       "number": places[n][1], "owner_name": f"Власник {n}", "email": email, "opened_on": "01.01.2020",
                       "closed_on": "", "einvoice_consent": consent, "einvoice_consent_on": on}
                      for n, (email, consent, on) in enumerate(rows)], delimiter=";")


def _refused(ctx, kind, data):
    before = counts(ctx)
    outcome = run(kind, data)
    assert outcome.rejected and not outcome.written
    assert counts(ctx) == before
    return {(p.row, p.column, p.value): p.message for p in outcome.problems}


def _stored(ctx, model, *where):
    ctx.expire_all()
    return ctx.execute(select(model).where(*where)).scalars().all()


def test_premises_with_their_entrance(ctx):
    from app.models import Building, Premise

    town = Town()
    load(town, "buildings")
    outcome = run("premises", _premises(town, "1", "2", ""))
    assert outcome.written and outcome.created == 3
    building = _stored(ctx, Building, Building.code == f"{town.p}-B1")[0]
    stored = {p.number: p.entrance for p in _stored(ctx, Premise, Premise.building_id == building.id)}
    assert stored == {"10": 1, "11": 2, "12": None}

    again = run("premises", _premises(town, "1", "3", ""))  # one changed, two the same
    assert (again.updated, again.unchanged) == (1, 2)
    assert {p.number: p.entrance for p in _stored(ctx, Premise, Premise.building_id == building.id)}["11"] == 3


def test_a_bad_entrance_names_the_row_the_column_and_the_reason(ctx):
    town = Town()
    load(town, "buildings")
    problems = _refused(ctx, "premises", _premises(town, "0", "абв", "1,5", "100", "-2", "2"))
    assert problems == {
        (2, "entrance", "0"): "Значення має бути від 1 до 99",
        (3, "entrance", "абв"): "Невірне число",
        (4, "entrance", "1,5"): "Потрібне ціле число",
        (5, "entrance", "100"): "Значення має бути від 1 до 99",
        (6, "entrance", "-2"): "Значення має бути від 1 до 99",
    }


def test_accounts_with_the_consent_and_its_date(ctx):
    from app.models import Account
    from app.validation.readings import local_today

    town = Town()
    load(town, "premises")
    data = _accounts(town, ("a@example.com", "так", "15.10.2026"), ("b@example.com", "YES", ""),
                     ("", "", "01.02.2026"))
    outcome = run("accounts", data)
    assert outcome.written and outcome.created == 3, outcome.problems
    stored = {a.account_number[-2:]: (a.einvoice_consent, a.einvoice_consent_on)
              for a in _stored(ctx, Account, Account.account_number.like(f"{town.p}-C%"))}
    assert stored == {
        "C0": (True, date(2026, 10, 15)),
        "C1": (True, local_today()),  # a consent without its date: the import's day
        "C2": (False, None),  # no consent (empty): a date without it is not kept
    }


def test_a_consent_given_before_keeps_its_date_and_ni_clears_it(ctx):
    from app.models import Account

    town = Town()
    load(town, "premises")
    assert run("accounts", _accounts(town, ("a@example.com", "1", "03.03.2025"),
                                     ("b@example.com", "true", "04.04.2025"))).written
    # the same consent again with an empty date: the recorded date stays, the row is unchanged;
    # «ні» clears the consent and its date
    again = run("accounts", _accounts(town, ("a@example.com", "так", ""), ("b@example.com", "ні", "")))
    assert (again.unchanged, again.updated) == (1, 1), again.problems
    stored = {a.account_number[-2:]: (a.einvoice_consent, a.einvoice_consent_on)
              for a in _stored(ctx, Account, Account.account_number.like(f"{town.p}-C%"))}
    assert stored == {"C0": (True, date(2025, 3, 3)), "C1": (False, None)}


def test_a_file_without_the_consent_columns_leaves_the_consent_alone(ctx):
    from app.models import Account

    town = Town()
    load(town, "premises")
    assert run("accounts", _accounts(town, ("a@example.com", "так", "03.03.2025"))).written
    data = write_csv([{"account_number": f"{town.p}-C0", "phone": "+380501112233"}])
    outcome = run("accounts", data)
    assert outcome.updated == 1 and outcome.written
    (account,) = _stored(ctx, Account, Account.account_number == f"{town.p}-C0")
    assert (account.einvoice_consent, account.einvoice_consent_on, account.phone) == (
        True, date(2025, 3, 3), "+380501112233")
    # and an e-mail taken away from a consenting account is refused on the consent
    problems = _refused(ctx, "accounts", write_csv([{"account_number": f"{town.p}-C0", "email": ""}]))
    assert list(problems.values()) == ["Для рахунків електронною поштою потрібна адреса e-mail власника: "
                                       "заповніть e-mail або зніміть позначку згоди"]
    assert [column for _, column, _ in problems] == ["einvoice_consent"]


def test_bad_consent_rows_name_the_row_the_column_and_the_reason(ctx):
    from app.validation.readings import local_today

    town = Town()
    load(town, "premises")
    tomorrow = local_today() + timedelta(days=1)
    problems = _refused(ctx, "accounts", _accounts(
        town, ("", "так", "01.10.2026"), ("b@example.com", "можливо", ""),
        ("c@example.com", "так", tomorrow.strftime("%d.%m.%Y"))))
    assert problems == {
        (2, "einvoice_consent", "так"): "Для рахунків електронною поштою потрібна адреса e-mail власника: "
                                        "заповніть e-mail або зніміть позначку згоди",
        (3, "einvoice_consent", "можливо"): "Це не «так» чи «ні»: напишіть так або ні (yes/no, 1/0)",
        (4, "einvoice_consent_on", tomorrow.strftime("%d.%m.%Y")):
            f"Дата згоди ще не настала (сьогодні {local_today():%d.%m.%Y})",
    }


def test_the_template_explains_the_new_columns(ctx):
    import io

    import openpyxl

    from app.services.imports.kinds import KINDS
    from app.services.imports.template import build_template

    book = openpyxl.load_workbook(io.BytesIO(build_template(KINDS["accounts"])))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[-2:] == ["Згода на рахунки e-mail", "Дата згоди"]
    about = {row[1]: row[3] for row in book.worksheets[1].iter_rows(min_row=6, values_only=True) if row[1]}
    assert about["einvoice_consent"] == "так або ні (yes/no, 1/0)"
    premises = openpyxl.load_workbook(io.BytesIO(build_template(KINDS["premises"])))
    assert [c.value for c in premises.worksheets[0][1]][-1] == "Підʼїзд"


def test_an_xlsx_with_true_and_false_cells(ctx):
    from app.models import Account

    from .helpers import write_xlsx

    town = Town()
    load(town, "premises")
    rows = [{"account_number": f"{town.p}-X{n}", "building_code": f"{town.p}-B1", "number": str(n + 1),
             "owner_name": "Власник", "email": "x@example.com", "opened_on": date(2020, 1, 1),
             "einvoice_consent": consent, "einvoice_consent_on": date(2025, 5, 5)}
            for n, consent in enumerate((True, False))]
    outcome = run("accounts", write_xlsx(rows), "accounts.xlsx", dry_run=True)
    assert outcome.ok and not outcome.written
    assert [(s["einvoice_consent"], s["einvoice_consent_on"]) for s in outcome.sample] == [
        ("так", "05.05.2025"), ("ні", "")]  # the preview shows what will be stored
    assert run("accounts", write_xlsx(rows), "accounts.xlsx").written
    stored = {a.account_number[-2:]: (a.einvoice_consent, a.einvoice_consent_on)
              for a in _stored(ctx, Account, Account.account_number.like(f"{town.p}-X%"))}
    assert stored == {"X0": (True, date(2025, 5, 5)), "X1": (False, None)}
