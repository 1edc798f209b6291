"""One bad row → nothing written, and the report names every bad row: row number, column, value
and reason. The rules are the forms' rules (app.validation), also across rows of one file."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from .helpers import Town, counts, load, run, write_csv


def _expect_rejected(ctx, kind, data, expected, name="file.csv"):
    """Import ``data``; nothing may be written; the problems must include ``expected``
    ((row, column, code or None), …)."""
    before = counts(ctx)
    outcome = run(kind, data, name)
    assert outcome.rejected and not outcome.written
    assert counts(ctx) == before
    found = [(p.row, p.column, p.code) for p in outcome.problems]
    for row, column, code in expected:
        assert any(r == row and c == column and (code is None or k == code) for r, c, k in found), (expected, found)
    for problem in outcome.problems:
        assert problem.message and problem.row >= 2
    return outcome


def _readings(town, *rows):
    return write_csv([{"serial": s, "date": d, "value": v} for s, d, v in rows], delimiter=";",
                     reverse_columns=False, extra_column=False)


@pytest.fixture()
def town(ctx):
    town = Town()
    done = set()
    for kind in ("readings", "payments", "registrations"):
        load(town, kind, done)
    return town


def test_format_errors_in_cells(ctx, town):
    p = town.p
    data = _readings(town, (f"{p}-M1", date(2026, 12, 1), Decimal("30")), (f"{p}-M2", "31.02.2026", "25"),
                     (f"{p}-M2", date(2026, 12, 1), "12,3,4"), (f"{p}-HM", date(2026, 12, 1), "1e40"))
    outcome = _expect_rejected(ctx, "readings", data, [(3, "date", "format"), (4, "value", "format"),
                                                       (5, "value", "format")])
    assert outcome.rejected == 3 and outcome.total == 4
    bad_date = next(p for p in outcome.problems if p.row == 3)
    assert bad_date.value == "31.02.2026"


def test_unknown_reference_and_choice(ctx, town):
    p = town.p
    _expect_rejected(ctx, "readings", _readings(town, ("NO-SUCH-METER", date(2026, 12, 1), "1")),
                     [(2, "serial", "unknown_reference")])
    data = write_csv([{"building_code": f"{p}-B2", "number": "7", "kind": "flat", "total_area": "40"},
                      {"building_code": f"{p}-NOPE", "number": "8", "kind": "apartment", "total_area": "40"}])
    outcome = _expect_rejected(ctx, "premises", data, [(2, "kind", "format"),
                                                       (3, "building_code", "unknown_reference")])
    assert outcome.problems[1].value == f"{p}-NOPE"


def test_validator_errors_are_the_forms(ctx, town):
    p = town.p
    data = write_csv([
        {"resident_id": f"{p}-R9", "full_name": "Іваненко Іван", "rnokpp": "1234567890", "email": "not-an-email",
         "birth_date": ""},
        {"resident_id": f"{p}-R8", "full_name": "", "rnokpp": "", "email": "", "birth_date": ""},
        {"resident_id": f"{p}-R7", "full_name": "Майбутній", "birth_date": date.today() + timedelta(days=3)},
    ])
    _expect_rejected(ctx, "residents", data, [(2, "rnokpp", "invalid"), (2, "email", "invalid"),
                                              (3, "full_name", "invalid"), (4, "birth_date", "invalid")])
    data = write_csv([{"building_code": f"{p}-B2", "number": "5", "total_area": "-5", "heated_area": "10"}])
    _expect_rejected(ctx, "premises", data, [(2, "total_area", "invalid")])


def test_reading_rules_against_the_database_and_the_file(ctx, town):
    p = town.p
    # M1 has 15.25 on 31.10 and 19.5 on 30.11 (see helpers.Town): a lower value later is refused.
    _expect_rejected(ctx, "readings", _readings(town, (f"{p}-M1", date(2026, 12, 1), "19")),
                     [(2, "value", "invalid")])
    # Inside one file, rows of a meter are checked in date order against each other, whatever
    # their order in the file: the 20.11 reading is below the 10.11 one (both between the
    # database's 15.25 on 31.10 and 19.5 on 30.11).
    outcome = _expect_rejected(ctx, "readings", _readings(town, (f"{p}-M1", date(2026, 11, 20), "16"),
                                                          (f"{p}-M1", date(2026, 11, 10), "18")),
                               [(2, "value", "invalid")])
    assert outcome.rejected == 1
    # Outside the meter's installation; the same key twice in the file.
    _expect_rejected(ctx, "readings", _readings(town, (f"{p}-M2", date(2023, 5, 1), "13"),
                                                (f"{p}-HM", date(2026, 12, 1), "300"),
                                                (f"{p}-HM", date(2026, 12, 1), "301")),
                     [(2, "date", "invalid"), (4, "serial, date", "duplicate_key")])


def test_overlaps_inside_one_file(ctx, town):
    p = town.p
    # Two registrations of the same resident in the same premise overlapping each other.
    data = write_csv([
        {"resident_id": f"{p}-R2", "building_code": f"{p}-B2", "number": "1", "date_from": date(2026, 1, 1)},
        {"resident_id": f"{p}-R2", "building_code": f"{p}-B2", "number": "1", "date_from": date(2026, 6, 1)},
    ])
    _expect_rejected(ctx, "registrations", data, [(3, "date_from", "invalid")])
    # A second open account of the same premise (the database has A1 in B1/1).
    data = write_csv([{"account_number": f"{p}-A9", "building_code": f"{p}-B1", "number": "1",
                       "owner_name": "Інший власник", "opened_on": date(2026, 1, 1)}])
    outcome = _expect_rejected(ctx, "accounts", data, [(2, "number", "invalid")])
    assert f"{p}-A1" in outcome.problems[0].message


def test_payments_subsidies_and_lengths(ctx, town):
    p = town.p
    data = write_csv([{"external_id": f"{p}-P9", "account_number": f"{p}-A1",
                       "paid_on": date.today() + timedelta(days=10), "amount": "10"},
                      {"external_id": f"{p}-P8", "account_number": f"{p}-A1", "paid_on": date(2026, 1, 1),
                       "amount": "0"}])
    _expect_rejected(ctx, "payments", data, [(2, "paid_on", "invalid"), (3, "amount", "invalid")])
    data = write_csv([{"account_number": f"{p}-A1", "period": "2026-13", "amount": "10"}])
    _expect_rejected(ctx, "subsidies", data, [(2, "period", "format")])
    data = write_csv([{"code": f"{p}-" + "X" * 40, "address": "вул. Довга, 1"},
                      {"code": "", "address": "вул. Без коду, 2"}])
    _expect_rejected(ctx, "buildings", data, [(2, "code", "format"), (3, "code", "required")])


def test_control_characters_in_an_xlsx_cell(ctx, town):
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for column, (header, value) in enumerate((("code", f"{town.p}-C1"), ("name", "Bad\x07name"), ("pct", 10))):
        sheet.write(0, column, header)
        sheet.write(1, column, value)
    book.close()
    _expect_rejected(ctx, "benefit_categories", buffer.getvalue(), [(2, "name", "control_characters")], "file.xlsx")


def test_every_bad_row_is_reported(ctx, town):
    rows = [{"serial": f"NOPE-{i}", "date": date(2026, 12, 1), "value": "1"} for i in range(50)]
    rows.insert(10, {"serial": f"{town.p}-M1", "date": date(2026, 12, 1), "value": "22"})
    outcome = _expect_rejected(ctx, "readings", write_csv(rows), [])
    assert outcome.rejected == 50 and len(outcome.problems) == 50
    assert sorted(p.row for p in outcome.problems) == [n for n in range(2, 53) if n != 12]


def test_a_reading_dated_after_today_is_refused(ctx, town):
    from app.validation.readings import local_today

    today = local_today()
    tomorrow = today + timedelta(days=1)
    outcome = _expect_rejected(ctx, "readings", _readings(town, (f"{town.p}-M1", tomorrow, "25")),
                               [(2, "date", "invalid")])
    assert outcome.problems[0].message == (
        f"Дата показника {tomorrow:%d.%m.%Y} — у майбутньому (сьогодні {today:%d.%m.%Y}): "
        "показник вносять після того, як його знято")


def test_a_reading_changed_by_an_import_records_the_importer_and_the_time(ctx, town):
    from sqlalchemy import select

    from app.models import Meter, Reading

    def stored():
        ctx.expire_all()
        return ctx.scalars(select(Reading).join(Meter).where(Meter.serial == f"{town.p}-M1",
                                                             Reading.date == date(2026, 11, 30))).one()

    from flask_appbuilder.security.sqla.models import User

    from app.services.imports.actors import actor_for

    author = stored().entered_by  # the command line's user, who imported the town
    assert author and stored().edited_by is None
    operator = actor_for(ctx, ctx.scalars(select(User).where(User.username == "operator")).one())
    outcome = run("readings", _readings(town, (f"{town.p}-M1", date(2026, 11, 30), "19,75")), actor=operator)
    assert (outcome.updated, outcome.written) == (1, True)
    reading = stored()
    assert (reading.value, reading.entered_by, reading.edited_by) == (Decimal("19.75"), author, "operator")
    assert reading.edited_at is not None
