"""Rule 7 of the issue: a row is accepted by an import exactly when the same record is accepted
by a form or the API — the same validators, fed by facts loaded per record (SessionFacts) or
for the whole file (BulkFacts), which must answer every question alike."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import Account, Meter, Premise, Reading, Registration
from app.services.imports.facts import BulkFacts
from app.validation.facts import SessionFacts

from .helpers import Town, load, run, write_csv
from .test_views import Db


@pytest.fixture()
def db(app):
    return Db(app)


def test_bulk_facts_answer_like_the_database(db):
    town = Town()
    db(lambda s: load(town, "readings"))
    db(lambda s: load(town, "registrations"))

    def compare(session):
        meters = list(session.scalars(select(Meter).where(Meter.serial.like(f"{town.p}-%"))))
        readings = list(session.scalars(select(Reading).where(Reading.meter_id.in_([m.id for m in meters]))))
        days = [date(2023, 12, 31) + timedelta(days=n) for n in range(0, 1200, 7)]
        days += [r.date for r in readings] + [r.date + timedelta(days=1) for r in readings]
        bulk = BulkFacts()
        bulk.load_readings(session, [m.id for m in meters], min(days), max(days))
        one = SessionFacts(session)
        for meter in meters:
            for day in days:
                for exclude in [None] + [r.id for r in readings if r.meter_id == meter.id]:
                    assert bulk.reading_neighbours(meter.id, day, exclude) == one.reading_neighbours(meter.id, day, exclude)
        # Only part of the window loaded: the last reading before and the first after still count.
        middle = BulkFacts()
        middle.load_readings(session, [m.id for m in meters], date(2026, 11, 1), date(2026, 11, 1))
        for meter in meters:
            for day in (date(2026, 11, 1),):
                assert middle.reading_neighbours(meter.id, day, None) == one.reading_neighbours(meter.id, day, None)
        premises = list(session.scalars(select(Premise.id).join(Premise.building).where(
            Premise.building.has(code=f"{town.p}-B1"))))
        registrations = list(session.scalars(select(Registration).where(Registration.premise_id.in_(premises))))
        bulk.load_registrations(session, [r.resident_id for r in registrations])
        bulk.load_accounts(session, premises)
        for r in registrations:
            assert sorted(bulk.registration_spans(r.resident_id, r.premise_id)) == sorted(
                one.registration_spans(r.resident_id, r.premise_id))
        for premise_id in premises:
            assert bulk.premise_accounts(premise_id) == one.premise_accounts(premise_id)

    db(compare)


def _api_reading(client, headers, meter_id, day, value):
    return client.post("/api/v1/reading/", json={"meter": meter_id, "date": day.isoformat(), "value": value},
                       headers=headers)


def test_reading_verdicts_match_the_api(app, db, api_token):
    town = Town()
    db(lambda s: load(town, "readings"))
    meter_id = db(lambda s: s.scalar(select(Meter.id).where(Meter.serial == f"{town.p}-M2")))
    headers = api_token("operator")
    client = app.test_client()
    cases = [
        (date(2026, 12, 31), "19.99"),   # below 20 on 30.11: refused
        (date(2023, 1, 1), "5"),         # before the installation: refused
        (date(2026, 11, 30), "21"),      # a reading on that day exists: refused by the API (the import updates)
        (date(2026, 12, 31), "25"),      # fine
    ]
    for day, value in cases:
        data = write_csv([{"serial": f"{town.p}-M2", "date": day, "value": value}], reverse_columns=False,
                         extra_column=False)
        checked = db(lambda s: run("readings", data, dry_run=True))
        response = _api_reading(client, headers, meter_id, day, value)
        if day == date(2026, 11, 30):
            assert response.status_code == 422 and checked.updated == 1  # same key: an import's update
            continue
        if response.status_code == 201:
            assert checked.rejected == 0 and checked.created == 1, (day, value, checked.problems)
        else:
            assert response.status_code == 422, response.json
            messages = [m for ms in response.json["message"].values() for m in ms]
            assert checked.rejected == 1 and [p.message for p in checked.problems] == messages, (day, value)


def test_account_overlap_matches_the_api(app, db, api_token):
    town = Town()
    db(lambda s: load(town, "accounts"))
    premise_id = db(lambda s: s.scalar(select(Account.premise_id).where(Account.account_number == f"{town.p}-A1")))
    response = app.test_client().post("/api/v1/account/", headers=api_token("operator"), json={
        "account_number": f"{town.p}-A7", "premise": premise_id, "owner_name": "Новий власник",
        "opened_on": "2026-01-01"})
    assert response.status_code == 422
    data = write_csv([{"account_number": f"{town.p}-A7", "building_code": f"{town.p}-B1", "number": "1",
                       "owner_name": "Новий власник", "opened_on": date(2026, 1, 1)}])
    checked = db(lambda s: run("accounts", data, dry_run=True))
    assert [p.message for p in checked.problems] == response.json["message"]["premise"]


@pytest.mark.parametrize("cell, value", [("1\u202f234,50", "1234.50"), ("1\u00a0234,5", "1234.50"),
                                         (" 12,5 ", "12.50"), ("1e3", None), ("NaN", None), ("Infinity", None)])
def test_import_cells_are_read_by_the_forms_parser(app, cell, value):
    """The same texts a form accepts or refuses (app.billing.money.parse_decimal, also the API's and the engine's)."""
    from decimal import Decimal

    from app.billing.money import parse_decimal
    from app.services.imports.values import to_decimal

    with app.test_request_context():
        if value is None:
            with pytest.raises(ValueError):
                to_decimal(cell, 12, 2)
            with pytest.raises(ValueError):
                parse_decimal(cell)
        else:
            assert to_decimal(cell, 12, 2) == Decimal(value) == parse_decimal(cell)
