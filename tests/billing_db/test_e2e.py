"""End to end, as a utility does it (issue 4): load a building through ``oblik import``, bill
October, close it, change a tariff retroactively and bring a late reading, bill November —
and check the recalculation and true-up lines to the kopiyka (the numbers of scenario.py,
worked out by hand), then close November and read the reports."""
import csv
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.extensions import db
from app.models import JournalEntry, Period

from .scenario import NOVEMBER_AMOUNTS, NOVEMBER_SOURCES, RECALCULATIONS
from .town import NOVEMBER, OCTOBER, amounts, lines_of
from .test_run_close import OCTOBER_AMOUNTS

FILES = [
    ("services", [
        dict(code="UTR", name="Утримання будинку", unit="м²", method="area", resource="", area_basis="total",
             quantity_precision=2),
        dict(code="TPV", name="Вивезення відходів", unit="особа", method="persons", resource="", area_basis="total",
             quantity_precision=3),
        dict(code="CW", name="Холодна вода", unit="м³", method="metered", resource="cold_water", area_basis="total",
             quantity_precision=3),
        dict(code="HEAT", name="Опалення", unit="Гкал", method="group", resource="heat", area_basis="heated",
             quantity_precision=4)]),
    ("tariffs", [dict(service_code=c, valid_from="01.01.2020", price=p)
                 for c, p in (("UTR", "8,00"), ("TPV", "40,00"), ("CW", "30,00"), ("HEAT", "2000,00"))]),
    ("norms", [dict(service_code="CW", valid_from="01.01.2020", norm_per_person="3")]),
    ("meter_types", [dict(code="CW15", name="Лічильник холодної води", resource="cold_water", digits=5,
                          verification_years=6),
                     dict(code="CW50", name="Будинковий лічильник води", resource="cold_water", digits=6,
                          verification_years=4),
                     dict(code="HM", name="Теплолічильник", resource="heat", digits=7, verification_years=4)]),
    ("buildings", [dict(code="E1", address="вул. Енергетиків, 1", floors=5, imbalance_key="volume")]),
    ("premises", [dict(building_code="E1", number=n, kind="apartment", total_area=a, heated_area=a, heating="central")
                  for n, a in ((1, "50"), (2, "60"), (3, "40"))]),
    ("residents", [dict(resident_id=f"E1-R{n}", full_name=f"Мешканець {n}") for n in (1, 2, 3, 4)]),
    ("registrations", [dict(resident_id=r, building_code="E1", number=n, date_from="2020-01-01", kind="registered")
                       for r, n in (("E1-R1", 1), ("E1-R2", 1), ("E1-R3", 2), ("E1-R4", 3))]),
    ("accounts", [dict(account_number=f"E1-00{n}", building_code="E1", number=n, owner_name=f"Власник {n}",
                       opened_on="01.01.2020") for n in (1, 2, 3)]),
    ("account_services", [dict(account_number=f"E1-00{n}", service_code=c, date_from="01.01.2020")
                          for n in (1, 2, 3) for c in ("UTR", "TPV", "CW", "HEAT")]),
    ("meters", [dict(serial=f"E1-CW-{n}", meter_type_code="CW15", building_code="E1", number=n,
                     installed_on="01.01.2020", initial_reading="0", next_verification="01.01.2030") for n in (1, 2, 3)]
     + [dict(serial="E1-HOUSE-CW", meter_type_code="CW50", building_code="E1", number="", installed_on="01.01.2020",
             initial_reading="0", next_verification="01.01.2030"),
        dict(serial="E1-HOUSE-HEAT", meter_type_code="HM", building_code="E1", number="", installed_on="01.01.2020",
             initial_reading="0", next_verification="01.01.2030")]),
    ("readings", [dict(serial=s, date=d, value=v, source="inspector") for s, d, v in (
        ("E1-CW-1", "30.09.2026", "100"), ("E1-CW-1", "31.10.2026", "106"), ("E1-CW-2", "30.09.2026", "50"),
        ("E1-CW-3", "30.09.2026", "200"), ("E1-HOUSE-CW", "30.09.2026", "1000"),
        ("E1-HOUSE-CW", "31.10.2026", "1013,5"), ("E1-HOUSE-HEAT", "30.09.2026", "0"),
        ("E1-HOUSE-HEAT", "31.10.2026", "15"))]),
]
NOVEMBER_FILES = [
    ("tariffs", [dict(service_code="CW", valid_from="16.10.2026", price="33,00")]),
    ("readings", [dict(serial=s, date=d, value=v, source="resident") for s, d, v in (
        ("E1-CW-3", "30.10.2026", "203,5"), ("E1-CW-2", "05.11.2026", "54"), ("E1-CW-1", "25.11.2026", "111"),
        ("E1-HOUSE-CW", "25.11.2026", "1024"), ("E1-HOUSE-HEAT", "25.11.2026", "35"))]),
]


def write(tmp_path, kind, rows):
    path = tmp_path / f"{kind}.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def oblik(bdb, monkeypatch):
    monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])

    def invoke(*args):
        db.session.commit()
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        db.session.expire_all()
        assert result.exit_code == 0, (args, result.output)
        return result

    return invoke


def test_import_bill_close_recalculate_and_true_up(oblik, tmp_path):
    session = db.session
    oblik("period", "open", OCTOBER)
    for kind, rows in FILES:
        oblik("import", kind, write(tmp_path, kind, rows))
    oblik("billing", "run", "--quiet")
    assert amounts(session, OCTOBER) == OCTOBER_AMOUNTS
    oblik("period", "close", OCTOBER)
    assert oblik("period", "current").stdout.strip() == NOVEMBER

    for kind, rows in NOVEMBER_FILES:
        oblik("import", kind, write(tmp_path, f"{kind}-november", rows))
    oblik("billing", "run", "--quiet")
    assert amounts(session, NOVEMBER) == NOVEMBER_AMOUNTS
    assert {r[0]: r[6] for r in lines_of(session, NOVEMBER, service_code="CW", kind="charge")} == NOVEMBER_SOURCES

    report = oblik("report", "charges", "--period", NOVEMBER).stdout
    rows = list(csv.DictReader(io.StringIO(report)))
    recalculated = {(r["account_number"], r["service_code"], r["target_period"], r["amount"])
                    for r in rows if r["kind"] == "recalculation"}
    assert recalculated == {(a, s, p, str(v)) for (a, s, _, p), v in RECALCULATIONS.items()}
    true_up = [r for r in rows if r["account_number"] == "E1-002" and r["service_code"] == "CW"
               and r["kind"] == "charge"]
    assert [(r["quantity"], r["amount"], r["estimated"]) for r in true_up] == [("1", "33.00", "0")]

    oblik("period", "close", NOVEMBER)
    assert session.scalar(select(Period.status).where(Period.period == NOVEMBER)) == "closed"
    posted = sorted(session.scalars(select(JournalEntry.amount).where(JournalEntry.kind == "recalculation")))
    assert posted == sorted(RECALCULATIONS.values())
    turnover = list(csv.DictReader(io.StringIO(oblik("report", "turnover", "--period", NOVEMBER).stdout)))
    assert {r["account_number"]: r["recalculated"] for r in turnover} == {
        "E1-001": "1.94", "E1-002": "0.97", "E1-003": "18.00"}
