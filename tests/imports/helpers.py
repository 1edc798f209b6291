"""Test data for the imports: a small town per test under a unique prefix (the test database is
shared by the whole session), written as the files really come — CSV in UTF-8, UTF-8 with BOM
or Windows-1251 with ``,`` or ``;``, decimal commas, both date styles — or XLSX."""
import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import openpyxl
from sqlalchemy import func, select

FORMATS = ("utf8-comma", "utf8bom-semicolon", "cp1251-semicolon", "cp1251-comma", "xlsx")
DEPENDS = {
    "buildings": [], "residents": [], "services": [], "meter_types": [], "benefit_categories": [],
    "premises": ["buildings"], "registrations": ["residents", "premises"], "accounts": ["premises"],
    "tariffs": ["services"], "norms": ["services"], "account_services": ["accounts", "services"],
    "meters": ["meter_types", "premises"], "readings": ["meters"], "payments": ["accounts"],
    "beneficiaries": ["residents", "benefit_categories"], "subsidies": ["accounts", "services"],
    "balances": ["open_period", "accounts", "services"], "open_period": [],
}
TABLES = ("building", "premise", "resident", "registration", "account", "service", "tariff", "norm",
          "account_service", "meter_type", "meter", "meter_event", "reading", "payment", "benefit_category",
          "beneficiary", "subsidy", "opening_balance", "journal_entry")


def prefix() -> str:
    return "T" + uuid.uuid4().hex[:6].upper()


class Town:
    """The rows of every kind for one prefix ``p`` (codes unique in the shared database)."""

    def __init__(self, p=None):
        self.p = p or prefix()

    def rows(self, kind):
        p = self.p
        return {
            "buildings": [
                {"code": f"{p}-B1", "address": "вул. Шевченка, 10", "floors": 5, "heated_area": Decimal("1200.5"),
                 "imbalance_key": "volume", "heat_system_share": Decimal("0.05")},
                {"code": f"{p}-B2", "address": "просп. Свободи, 3", "floors": 9, "heated_area": "",
                 "imbalance_key": "area", "heat_system_share": ""},
            ],
            "premises": [
                {"building_code": f"{p}-B1", "number": "1", "kind": "apartment", "total_area": Decimal("52.3"),
                 "heated_area": Decimal("50"), "heating": "central", "gas_category": "1"},
                {"building_code": f"{p}-B1", "number": "2", "kind": "apartment", "total_area": Decimal("61.75"),
                 "heated_area": "", "heating": "individual", "gas_category": ""},
                {"building_code": f"{p}-B2", "number": "1", "kind": "nonresidential", "total_area": Decimal("120"),
                 "heated_area": Decimal("100"), "heating": "central", "gas_category": ""},
            ],
            "residents": [
                {"resident_id": f"{p}-R1", "full_name": "Петренко Ольга Іванівна", "rnokpp": "3183501233",
                 "birth_date": date(1964, 5, 17), "phone": "+380671234567", "email": "olha@example.com"},
                {"resident_id": f"{p}-R2", "full_name": "Ґудзь Євген «молодший»", "rnokpp": "",
                 "birth_date": "", "phone": "", "email": ""},
            ],
            "registrations": [
                {"resident_id": f"{p}-R1", "building_code": f"{p}-B1", "number": "1", "date_from": date(2020, 3, 1),
                 "date_to": "", "kind": "registered"},
                {"resident_id": f"{p}-R2", "building_code": f"{p}-B1", "number": "1", "date_from": date(2021, 1, 15),
                 "date_to": date(2025, 12, 31), "kind": "temporary"},
            ],
            "accounts": [
                {"account_number": f"{p}-A1", "building_code": f"{p}-B1", "number": "1",
                 "owner_name": "Петренко Ольга Іванівна", "owner_rnokpp": "3183501233", "email": "olha@example.com",
                 "phone": "", "opened_on": date(2020, 3, 1), "closed_on": ""},
                {"account_number": f"{p}-A2", "building_code": f"{p}-B1", "number": "2",
                 "owner_name": "ТОВ «Світанок»", "owner_rnokpp": "", "email": "", "phone": "0441234567",
                 "opened_on": date(2022, 7, 1), "closed_on": ""},
            ],
            "services": [
                {"code": f"{p}-CW", "name": "Холодна вода", "unit": "куб.м", "method": "metered",
                 "resource": "cold_water", "area_basis": "total", "quantity_precision": 3},
                {"code": f"{p}-FX", "name": "Домофон", "unit": "шт", "method": "fixed", "resource": "",
                 "area_basis": "", "quantity_precision": ""},
            ],
            "tariffs": [
                {"service_code": f"{p}-CW", "valid_from": date(2026, 1, 1), "price": Decimal("38.448")},
                {"service_code": f"{p}-CW", "valid_from": date(2026, 7, 1), "price": Decimal("41.2")},
                {"service_code": f"{p}-FX", "valid_from": date(2026, 1, 1), "price": Decimal("25")},
            ],
            "norms": [
                {"service_code": f"{p}-CW", "valid_from": date(2026, 1, 1), "norm_per_person": Decimal("2.4")},
            ],
            "account_services": [
                {"account_number": f"{p}-A1", "service_code": f"{p}-CW", "date_from": date(2026, 1, 1),
                 "date_to": "", "quantity": ""},
                {"account_number": f"{p}-A1", "service_code": f"{p}-FX", "date_from": date(2026, 1, 1),
                 "date_to": date(2026, 12, 31), "quantity": Decimal("2")},
            ],
            "meter_types": [
                {"code": f"{p}-MT", "name": "Лічильник холодної води DN15", "resource": "cold_water", "digits": 5,
                 "verification_years": 6},
            ],
            "meters": [
                {"serial": f"{p}-M1", "meter_type_code": f"{p}-MT", "building_code": f"{p}-B1", "number": "1",
                 "installed_on": date(2024, 1, 15), "initial_reading": Decimal("0"), "removed_on": "",
                 "final_reading": "", "verified_on": date(2024, 1, 10), "next_verification": date(2030, 1, 10)},
                {"serial": f"{p}-M2", "meter_type_code": f"{p}-MT", "building_code": f"{p}-B1", "number": "2",
                 "installed_on": date(2024, 2, 1), "initial_reading": Decimal("12.5"), "removed_on": "",
                 "final_reading": "", "verified_on": "", "next_verification": ""},
                {"serial": f"{p}-HM", "meter_type_code": f"{p}-MT", "building_code": f"{p}-B1", "number": "",
                 "installed_on": date(2024, 1, 1), "initial_reading": Decimal("100"), "removed_on": "",
                 "final_reading": "", "verified_on": "", "next_verification": ""},
            ],
            "readings": [
                {"serial": f"{p}-M1", "date": date(2026, 10, 31), "value": Decimal("15.25"), "source": "inspector"},
                {"serial": f"{p}-M1", "date": date(2026, 11, 30), "value": Decimal("19.5"), "source": ""},
                {"serial": f"{p}-M2", "date": date(2026, 11, 30), "value": Decimal("20"), "source": "resident"},
                {"serial": f"{p}-HM", "date": date(2026, 11, 30), "value": Decimal("250.125"), "source": "inspector"},
            ],
            "payments": [
                {"external_id": f"{p}-P1", "account_number": f"{p}-A1", "paid_on": date(2026, 11, 3),
                 "amount": Decimal("1250.40"), "source": "ПриватБанк"},
                {"external_id": f"{p}-P2", "account_number": f"{p}-A2", "paid_on": date(2026, 11, 5),
                 "amount": Decimal("99.99"), "source": ""},
            ],
            "benefit_categories": [
                {"code": f"{p}-UBD", "name": "Учасник бойових дій", "pct": Decimal("75")},
                {"code": f"{p}-BAG", "name": "Багатодітна сім'я", "pct": Decimal("50")},
            ],
            "beneficiaries": [
                {"resident_id": f"{p}-R1", "category_code": f"{p}-UBD", "date_from": date(2026, 1, 1), "date_to": "",
                 "entitled": 2, "certificate": "АА 123456"},
            ],
            "balances": [
                {"account_number": f"{p}-A1", "service_code": f"{p}-CW", "amount": Decimal("412.35"), "debt_since": ""},
                {"account_number": f"{p}-A1", "service_code": "", "amount": Decimal("-50"), "debt_since": ""},
                {"account_number": f"{p}-A2", "service_code": f"{p}-FX", "amount": Decimal("0.01"),
                 "debt_since": "2023-02"},
            ],
            "subsidies": [
                {"account_number": f"{p}-A1", "period": "2026-11", "amount": Decimal("812.00"), "service_code": ""},
                {"account_number": f"{p}-A1", "period": "2026-11", "amount": Decimal("120.50"),
                 "service_code": f"{p}-CW"},
                {"account_number": f"{p}-A2", "period": "2026-10", "amount": Decimal("300"), "service_code": ""},
            ],
        }[kind]

    def changed_rows(self, kind):
        """The same rows with one non-key column changed in the first row."""
        rows = [dict(r) for r in self.rows(kind)]
        first = rows[0]
        change = {
            "buildings": ("address", "вул. Шевченка, 10А"), "premises": ("total_area", Decimal("53.1")),
            "residents": ("phone", "+380500000000"), "registrations": ("date_to", date(2026, 6, 30)),
            "accounts": ("email", "new@example.com"), "services": ("name", "Холодне водопостачання"),
            "tariffs": ("price", Decimal("39")), "norms": ("norm_per_person", Decimal("2.5")),
            "account_services": ("quantity", Decimal("3")), "meter_types": ("name", "Лічильник DN20"),
            "meters": ("next_verification", date(2031, 1, 10)), "readings": ("value", Decimal("16")),
            "payments": ("amount", Decimal("1250.41")), "benefit_categories": ("pct", Decimal("80")),
            "beneficiaries": ("entitled", 3), "subsidies": ("amount", Decimal("813")),
            "balances": ("amount", Decimal("400")),
        }[kind]
        first[change[0]] = change[1]
        return rows


def cell(value, decimal_comma, iso_dates):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, date):
        return value.isoformat() if iso_dates else value.strftime("%d.%m.%Y")
    return str(value)


def write_csv(rows, encoding="utf-8", delimiter=",", decimal_comma=None, iso_dates=False, headers=None,
              header_case=str.upper, reverse_columns=True, extra_column=True) -> bytes:
    """Rows as a CSV file: headers in another case and order, an unknown column, blank
    trailing lines — as files really come."""
    headers = list(headers or rows[0].keys())
    if reverse_columns:
        headers = headers[::-1]
    if decimal_comma is None:
        decimal_comma = delimiter == ";"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([header_case(h) for h in headers] + (["Примітка"] if extra_column else []))
    for row in rows:
        writer.writerow([cell(row.get(h), decimal_comma, iso_dates) for h in headers]
                        + (["довільний текст"] if extra_column else []))
    text = out.getvalue() + "\r\n\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def write_xlsx(rows, headers=None, as_text=False) -> bytes:
    """Rows as an XLSX workbook with native cells: dates as dates, numbers as numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    headers = list(headers or rows[0].keys())
    sheet.append([h.title() for h in headers])
    for row in rows:
        values = []
        for h in headers:
            value = row.get(h)
            if value == "" or value is None:
                values.append(None)
            elif isinstance(value, Decimal):
                values.append(cell(value, True, False) if as_text else float(value))
            elif isinstance(value, date):
                values.append(value.strftime("%d.%m.%Y") if as_text else value)
            else:
                values.append(value)
        sheet.append(values)
    sheet.append([])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def encode(rows, fmt) -> bytes:
    if fmt == "xlsx":
        return write_xlsx(rows)
    encoding, layout = fmt.split("-")
    return write_csv(rows, encoding={"utf8": "utf-8", "utf8bom": "utf-8-sig", "cp1251": "cp1251"}[encoding],
                     delimiter={"comma": ",", "semicolon": ";"}[layout], iso_dates=encoding == "utf8")


def counts(session) -> dict:
    from sqlalchemy import table

    return {name: session.scalar(select(func.count()).select_from(table(name))) for name in TABLES}


def run(kind, data, name="file.csv", **kwargs):
    """Import through the service (the command line's path); returns the outcome."""
    from app.services.imports import import_bytes

    record_id, outcome = import_bytes(kind, data, name, **kwargs)
    return outcome


def load(town, kind, done=None):
    """Import ``kind`` with everything it depends on (each once)."""
    done = done if done is not None else set()
    for dependency in DEPENDS[kind]:
        load(town, dependency, done)
    if kind == "open_period":  # opening balances go into the first open period (the shared test database's)
        from app.services.periods import current_period, open_first

        if current_period() is None:
            open_first("2026-11")
        return done
    if kind not in done:
        outcome = run(kind, write_csv(town.rows(kind)))
        assert outcome.rejected == 0 and outcome.written, (kind, outcome)
        done.add(kind)
    return done
