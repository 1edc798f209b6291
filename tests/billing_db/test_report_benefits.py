"""``benefits`` (форма «2-пільга») and ``benefits_by_category`` on the billing town, and the DBF
exchange file read back with the ``dbf`` library: values, the code page's language driver byte,
Cyrillic bytes of a name, numbers and dates — on SQLite and PostgreSQL.

Worked numbers (October 2026, billing.md §6; town.py): flat 1 (R = 2) has a «VET» 50 % beneficiary,
E = 1, all month; flat 3 (R = 1) a «CHO» 25 % beneficiary from 16.10 (v = 16 of 31 days):

    flat 1  UTR 400,00 × 1 × 1/2 × 50 %                         = 100,00
            TPV  80,00 × 1/2 × 50 %                              =  20,00
            CW  (180,00 + 22,50) × 1 (N 7,2 ≥ Q 6,75) × 1/2 × 50 % =  50,63 (50,625)
            HEAT 10000,00 × 1 (N 52,5 ≥ 50 m²) × 1/2 × 50 %       = 2500,00     Σ 2670,63
    flat 3  UTR 320,00 × 31,5/40 (N 21 + 10,5 m²) × 25 % × 16/31  =  32,52
            TPV  40,00 × 25 % × 16/31                            =   5,16
            CW  101,25 × 1 (N 3,6 ≥ 3,375) × 25 % × 16/31          =  13,06
            HEAT 8000,00 × 31,5/40 × 25 % × 16/31                  = 812,90     Σ 863,64
"""
import io
from datetime import date
from decimal import Decimal as D

import dbf
import pytest

from app.extensions import db
from app.models import Beneficiary, BenefitCategory, Organisation, Resident, Setting
from app.services import ledger
from app.services.billing import close_period, run_billing
from app.services.reports import ReportFilters, build, kinds
from app.services.reports.benefits_dbf import FIELDS

from .town import LONG_AGO, OCTOBER, create_town

FLAT1 = {"UTR": D("-100.00"), "TPV": D("-20.00"), "CW": D("-50.63"), "HEAT": D("-2500.00")}
FLAT3 = {"UTR": D("-32.52"), "TPV": D("-5.16"), "CW": D("-13.06"), "HEAT": D("-812.90")}
NAME = "Іваненко Ґанна Їжаківна"


def _town():
    session = db.session
    ids = create_town()
    session.add(Organisation(name="КП «Теплоенерго»", edrpou="12345678", iban="UA213223130000026007233566001"))
    vet = BenefitCategory(code="VET", name="Ветерани війни", pct=D("50"))
    cho = BenefitCategory(code="CHO", name="Чорнобильці", pct=D("25"))
    r1 = session.query(Resident).filter_by(resident_id="E1-R1").one()
    r1.full_name, r1.rnokpp = NAME, "3183501239"
    r4 = session.query(Resident).filter_by(resident_id="E1-R4").one()
    r4.full_name, r4.rnokpp = "Петренко Євген", "3051902474"
    session.add_all([vet, cho, Beneficiary(resident=r1, category=vet, date_from=LONG_AGO, entitled=1),
                     Beneficiary(resident=r4, category=cho, date_from=date(2026, 10, 16), entitled=1)])
    session.commit()
    run_billing(user="test")
    return ids


def _rows(kind, **filters):
    report = build(kind, ReportFilters(period=OCTOBER, **filters), db.session)
    codes = [c.code for c in report.columns]
    return report, [dict(zip(codes, row)) for row in report.rows]


def _check_lines(rows):
    got = {(r["account_number"], r["service_code"]): r["amount"] for r in rows}
    want = {**{("E1-001", s): a for s, a in FLAT1.items()}, **{("E1-003", s): a for s, a in FLAT3.items()}}
    assert got == want
    first = next(r for r in rows if r["account_number"] == "E1-001" and r["service_code"] == "HEAT")
    assert (first["resident_id"], first["full_name"], first["rnokpp"], first["category_code"], first["pct"],
            first["persons"], first["days"], first["quantity"]) == ("E1-R1", NAME, "3183501239", "VET", D("50.00"),
                                                                    1, 31, D("50"))
    assert next(r for r in rows if r["account_number"] == "E1-003")["days"] == 16


def _journal_benefits():
    total = D("0.00")
    for values in ledger.turnover(db.session, OCTOBER).values():
        total += values["benefits"]
    return total


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_benefit_lines_and_the_form_table_match_the_journal(bdb_any, closed):
    _town()
    if closed:
        close_period(OCTOBER, "test")
    report, rows = _rows("benefits")
    _check_lines(rows)
    assert report.notes == []  # every account and service agrees with the ledger
    assert sum(r["amount"] for r in rows) == D("-3534.27") == _journal_benefits()

    summary, table = _rows("benefits_by_category")
    assert [(r["category_code"], r["service_code"], r["beneficiaries"], r["persons"], r["amount"]) for r in table] == [
        ("CHO", "CW", 1, 1, D("-13.06")), ("CHO", "HEAT", 1, 1, D("-812.90")), ("CHO", "TPV", 1, 1, D("-5.16")),
        ("CHO", "UTR", 1, 1, D("-32.52")),
        ("VET", "CW", 1, 1, D("-50.63")), ("VET", "HEAT", 1, 1, D("-2500.00")), ("VET", "TPV", 1, 1, D("-20.00")),
        ("VET", "UTR", 1, 1, D("-100.00")),
    ]
    assert sum(r["amount"] for r in table) == _journal_benefits()


def test_filters_scope_the_lines(bdb):
    ids = _town()
    _, rows = _rows("benefits", account_id=ids["accounts"][3])
    assert {r["account_number"] for r in rows} == {"E1-003"} and len(rows) == 4
    _, rows = _rows("benefits", service_id=ids["services"]["HEAT"])
    assert [r["amount"] for r in rows] == [D("-2500.00"), D("-812.90")]
    _, rows = _rows("benefits", building_ids=(ids["building"] + 1000,))
    assert rows == []


def _dbf(tmp_path, **filters):
    stream = io.BytesIO()
    count = kinds()["benefits"].writers["dbf"](db.session, ReportFilters(period=OCTOBER, **filters), stream)
    path = tmp_path / "benefits.dbf"
    path.write_bytes(stream.getvalue())
    return count, stream.getvalue(), path


@pytest.mark.parametrize("page, driver", [("866", 0x26), ("1251", 0xC9)])
def test_the_exchange_file_reads_back_in_its_code_page(bdb_any, tmp_path, page, driver):
    _town()
    close_period(OCTOBER, "test")
    if page != "866":
        db.session.add(Setting(key="benefits.dbf_codepage", valid_from=date(2026, 1, 1), value=page))
        db.session.commit()
    count, data, path = _dbf(tmp_path)
    assert count == 8
    assert data[29] == driver  # the header's language driver id
    encoding = "cp866" if page == "866" else "cp1251"
    written = "Iваненко Ганна Їжакiвна" if page == "866" else NAME  # cp866 has no І, Ґ: Latin I, Г
    assert written.encode(encoding) in data
    if page == "866":
        assert "Ї".encode("cp866") == b"\xf4" and b"\xf4" in data
    table = dbf.Table(str(path))
    table.open(dbf.READ_ONLY)
    try:
        assert [f.upper() for f in table.field_names] == [name for name, _ in FIELDS]
        assert table.codepage.name == encoding
        records = [{name.upper(): rec[name] for name in table.field_names} for rec in table]
    finally:
        table.close()
    heat = next(r for r in records if r["RS"].strip() == "E1-001" and r["LGCODE"].strip() == "HEAT")
    assert heat["CDPR"] == 12345678 and heat["IDCODE"].strip() == "3183501239"
    assert heat["FIO"].strip() == written
    assert (heat["YEARIN"], heat["MONTHIN"], heat["LGKOL"], heat["LGKAT"].strip(), heat["FLAG"]) == (2026, 10, 1,
                                                                                                   "VET", 0)
    assert (heat["DATA1"], heat["DATA2"]) == (date(2026, 10, 1), date(2026, 10, 31))
    assert D(str(heat["SUMM"])) == D("2500.00") and D(str(heat["LGPRC"])) == D("50")
    assert D(str(heat["TARIF"])) == D("2000") and D(str(heat["FACT"])) == D("50")
    late = next(r for r in records if r["RS"].strip() == "E1-003" and r["LGCODE"].strip() == "UTR")
    assert (late["DATA1"], late["DATA2"], D(str(late["SUMM"]))) == (date(2026, 10, 16), date(2026, 10, 31),
                                                                    D("32.52"))
    assert sum(D(str(r["SUMM"])) for r in records) == -_journal_benefits() == D("3534.27")


def test_a_code_page_the_file_cannot_use_is_refused(bdb, tmp_path):
    from app.services.reports import ReportError

    _town()
    db.session.add(Setting(key="benefits.dbf_codepage", valid_from=date(2026, 1, 1), value="437"))
    db.session.commit()
    with pytest.raises(ReportError) as error:
        _dbf(tmp_path)
    assert "benefits.dbf_codepage" in str(error.value) and "437" in str(error.value)


def test_the_machine_csv_has_the_codes_of_formats_md(bdb):
    import csv

    from app.services.reports.writers import render

    _town()
    report = build("benefits", ReportFilters(period=OCTOBER), db.session)
    rows = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8"))))
    assert rows[0] == ["account_number", "resident_id", "category_code", "service_code", "persons", "amount"]
    assert ["E1-001", "E1-R1", "VET", "CW", "1", "-50.63"] in rows and len(rows) == 9
    summary = build("benefits_by_category", ReportFilters(period=OCTOBER), db.session)
    rows = list(csv.reader(io.StringIO(render(summary, "csv").decode("utf-8"))))
    assert rows[0] == ["category_code", "pct", "service_code", "beneficiaries", "persons", "amount"]
    assert ["VET", "50.00", "HEAT", "1", "1", "-2500.00"] in rows


def test_a_line_that_disagrees_with_the_journal_is_named_under_the_table(bdb):
    from sqlalchemy import update

    from app.models import ChargeLine

    ids = _town()
    close_period(OCTOBER, "test")
    db.session.execute(update(ChargeLine).where(ChargeLine.kind == "benefit", ChargeLine.period == OCTOBER,
                                                ChargeLine.account_id == ids["accounts"][3],
                                                ChargeLine.service_id == ids["services"]["TPV"])
                       .values(amount=D("-6.16")))
    db.session.commit()
    report, _ = _rows("benefits")
    assert len(report.notes) == 1
    assert "E1-003" in report.notes[0] and "-5.16" in report.notes[0] and "-6.16" in report.notes[0]
