"""The readings sheet's service (app/services/reading_sheet.py) on building S1 of sheet_town.py:
the order of the round, the previous readings and averages, and the save — the reading rules of
the form and the import, the implausibly high consumption, all or nothing."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Reading, Setting
from app.services import reading_sheet
from app.services.reading_sheet import save, sheet

from .sheet_town import ON, TODAY, create_sheet_town


@pytest.fixture()
def town(bdb):
    return create_sheet_town()


def _readings(meter_id):
    db.session.expire_all()
    return [(r.date, r.value, r.source, r.entered_by) for r in db.session.scalars(
        select(Reading).where(Reading.meter_id == meter_id).order_by(Reading.date))]


def _count():
    return db.session.scalar(select(func.count()).select_from(Reading))


def _row(ids, flat, value, day="", confirmed=False):
    return {"meter_id": ids["meters"][flat], "value": value, "date": day, "confirmed": confirmed}


def test_the_sheet_is_in_the_order_of_the_round_with_previous_readings_and_averages(town):
    s = sheet(db.session, town["building"], on=ON)
    assert [r.premise_number for r in s.rows] == ["", "1", "2", "9", "10", "10а", "11"]
    assert [r.number for r in s.rows] == [1, 2, 3, 4, 5, 6, 7]
    by_flat = {r.premise_number: r for r in s.rows}
    assert by_flat[""].is_house_meter and by_flat[""].serial == "S1-HOUSE"
    assert (by_flat["1"].previous_value, by_flat["1"].previous_date) == (D("120"), date(2026, 10, 31))
    assert (by_flat["2"].previous_value, by_flat["2"].previous_date) == (D("50"), date(2026, 9, 30))
    # flat 9: no reading yet — the installation reading, no date
    assert (by_flat["9"].previous_value, by_flat["9"].previous_date) == (D("0"), None)
    # averages: 20 m³ over 61 days × 30,4375 = 9,980; 30 over 61 days = 14,969; the estimate left out
    assert by_flat["1"].average == D("9.980")
    assert by_flat["10"].average == D("14.969")
    assert by_flat["10а"].average == D("9.980")
    assert by_flat["2"].average is None and by_flat["9"].average is None
    assert by_flat["1"].resource_name == "Холодна вода"
    assert s.factor == D("3") and s.entrances == [1, 2]


def test_an_entrance_has_its_flats_only(town):
    s = sheet(db.session, town["building"], entrance=2, on=ON)
    assert [r.premise_number for r in s.rows] == ["11"]


def test_the_sheet_on_an_earlier_day_shows_what_was_known_then(town):
    s = sheet(db.session, town["building"], on=date(2026, 10, 15))
    by_flat = {r.premise_number: r for r in s.rows}
    assert (by_flat["1"].previous_value, by_flat["1"].previous_date) == (D("110"), date(2026, 9, 30))
    assert "9" not in by_flat or by_flat["9"].previous_date is None


def test_the_sheet_takes_a_few_queries_whatever_the_number_of_meters(bdb):
    flats = tuple((str(n), 1 + (n - 1) // 20) for n in range(1, 101))
    readings = {str(n): ((date(2026, 9, 30), "10"), (date(2026, 10, 31), "20")) for n in range(1, 101)}
    ids = create_sheet_town(flats=flats, readings=readings, code="S2")
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        s = sheet(db.session, ids["building"], on=ON)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(s.rows) == 101
    assert [r.premise_number for r in s.rows[1:4]] == ["1", "2", "3"] and s.rows[-1].premise_number == "100"
    assert len(statements) <= 6, len(statements)


def test_a_good_sheet_is_saved_in_one_go_empty_rows_skipped_and_zero_consumption_accepted(town):
    before = _count()
    result = save(db.session, town["building"], [
        _row(town, "1", "125"),           # 5 m³
        _row(town, "2", ""),              # not read: no reading, no error
        _row(town, "9", "  "),            # blank: the same
        _row(town, "10а", "300"),         # 0 m³: a reading
        _row(town, "11", "41,5", "29.11.2026"),  # a decimal comma and a date of its own
    ], "inspector", on=ON, today=TODAY)
    assert result.ok, result.problems
    assert result.saved == 3 and result.notices == []
    assert _count() == before + 3
    assert _readings(town["meters"]["1"])[-1] == (ON, D("125"), "inspector", "inspector")
    assert _readings(town["meters"]["10а"])[-1] == (ON, D("300"), "inspector", "inspector")
    assert _readings(town["meters"]["11"])[-1] == (date(2026, 11, 29), D("41.5"), "inspector", "inspector")
    assert _readings(town["meters"]["2"])[-1][0] == date(2026, 9, 30)  # nothing new
    assert _readings(town["meters"]["9"]) == []


def test_one_bad_row_and_nothing_is_saved_every_bad_row_explained(town):
    before = _count()
    result = save(db.session, town["building"], [
        _row(town, "1", "125"),                   # good
        _row(town, "10", "199"),                  # below 200 of 31.10
        _row(town, "11", "abc"),                  # not a number
        _row(town, "2", "60", "31.12.2026"),      # in the future
        _row(town, "9", "5", "15.05.2026"),       # before the installation (01.06.2026)
    ], "inspector", on=ON, today=TODAY)
    assert not result.ok and result.saved == 0
    assert _count() == before
    assert [(p.row, p.field) for p in result.problems] == [(2, "value"), (3, "value"), (4, "date"), (5, "date")]
    messages = [p.message for p in result.problems]
    assert messages[0] == "Показник 199 менший за попередній (200 на 31.10.2026)", messages[0]
    assert messages[1] == "Невірне число", messages[1]
    assert "31.12.2026" in messages[2] and "майбутньому" in messages[2], messages[2]
    assert "01.06.2026" in messages[3], messages[3]


def test_the_row_number_given_by_the_screen_is_the_one_explained(town):
    rows = [dict(_row(town, "10", "150"), row=5)]
    result = save(db.session, town["building"], rows, "inspector", on=ON, today=TODAY)
    assert [(p.row, p.meter_id, p.field) for p in result.problems] == [(5, town["meters"]["10"], "value")]


def test_over_three_times_the_average_needs_a_confirmation(town):
    # flat 1: average 9,980, a month since 31.10 → over 3 × 9,980 = 29,94 is implausibly high
    ok = save(db.session, town["building"], [_row(town, "1", "149,9")], "inspector", on=ON, today=TODAY)
    assert ok.ok and ok.saved == 1 and ok.high == {}
    db.session.execute(Reading.__table__.delete().where(Reading.meter_id == town["meters"]["1"],
                                                        Reading.date == ON))
    db.session.commit()
    high = save(db.session, town["building"], [_row(town, "1", "150")], "inspector", on=ON, today=TODAY)
    assert not high.ok and high.saved == 0
    [problem] = high.problems
    assert (problem.row, problem.field) == (1, "confirmed")
    assert problem.message == ("Неправдоподібно велике споживання: 30 перевищує 3× середнє споживання лічильника "
                               "(9,98 на місяць): перевірте значення або позначте «Підтверджую», щоб зберегти його"), \
        problem.message
    assert town["meters"]["1"] in high.high
    confirmed = save(db.session, town["building"], [_row(town, "1", "150", confirmed=True)], "inspector", on=ON,
                     today=TODAY)
    assert confirmed.ok and confirmed.saved == 1
    assert _readings(town["meters"]["1"])[-1][:2] == (ON, D("150"))


def test_the_limit_follows_the_months_since_the_previous_reading_and_the_setting(town):
    # flat 10: average 14,969, a month since 31.10; the factor set to 2 from 01.11.2026:
    # over 2 × 14,969 = 29,938 is implausibly high
    db.session.add(Setting(key="readings.high_factor", valid_from=date(2026, 11, 1), value="2"))
    db.session.commit()
    assert reading_sheet.high_factor(db.session, ON) == D("2")
    assert reading_sheet.high_factor(db.session, date(2026, 10, 31)) == D("3")
    result = save(db.session, town["building"], [_row(town, "10", "230")], "inspector", on=ON, today=TODAY)
    assert [p.field for p in result.problems] == ["confirmed"]  # 30 > 29,938
    result = save(db.session, town["building"], [_row(town, "10", "229,9")], "inspector", on=ON, today=TODAY)
    assert result.ok
    # two months since the previous reading carry twice the limit: 30.09 → 30.11 (61 days)
    limit = reading_sheet.high_limit(D("10"), D("3"), date(2026, 9, 30), ON)
    assert round(limit, 3) == D("60.123")  # 3 × 10 × 61 / 30,4375
    assert reading_sheet.high_limit(D("10"), D("3"), date(2026, 11, 20), ON) == D("30")  # at least a month
    assert reading_sheet.high_limit(D("0"), D("3"), date(2026, 10, 31), ON) is None


def test_a_meter_without_an_average_is_not_checked_for_high_consumption(town):
    result = save(db.session, town["building"], [_row(town, "2", "5000"), _row(town, "9", "700")], "inspector",
                  on=ON, today=TODAY)
    assert result.ok and result.saved == 2


def test_a_reading_of_a_closed_period_is_accepted_with_the_notice(town):
    result = save(db.session, town["building"], [_row(town, "2", "55", "31.10.2026")], "inspector", on=ON, today=TODAY)
    assert result.ok and result.saved == 1
    assert result.notices == ["Показник датовано закритим періодом 2026-10: нарахування цього періоду буде "
                              "перераховано у відкритому періоді 2026-11"]
    assert _readings(town["meters"]["2"])[-1][:2] == (date(2026, 10, 31), D("55"))


def test_a_second_reading_on_the_same_day_and_a_foreign_meter_are_refused(town):
    assert save(db.session, town["building"], [_row(town, "1", "125")], "inspector", on=ON, today=TODAY).ok
    again = save(db.session, town["building"], [_row(town, "1", "126")], "inspector", on=ON, today=TODAY)
    assert [(p.field, p.message) for p in again.problems] == [("date", "Для цього лічильника на цю дату вже внесено показник")]
    other = create_sheet_town(code="S3", readings={})
    foreign = save(db.session, town["building"], [{"meter_id": other["meters"]["1"], "value": "5"}], "inspector",
                   on=ON, today=TODAY)
    assert [p.message for p in foreign.problems] == ["Цей лічильник не в цьому будинку"]


def test_nothing_entered_is_told(town):
    result = save(db.session, town["building"], [_row(town, "1", "")], "inspector", on=ON, today=TODAY)
    assert not result.ok and result.saved == 0
    assert [p.message for p in result.problems] == ["Введіть хоча б один новий показник"]
