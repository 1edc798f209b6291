"""Helpers of the HTTP tests (screens and API): reading rows straight from the database,
unique keys for the records a test creates, and reading FAB's HTML — the message shown next
to a form field, the flashed messages.

The database is shared by the whole test session, so every test creates its own records
with unique codes and counts only its own rows; the seeded town (conftest.seed_town) is only
read, never changed.
"""
import html
import itertools
import re
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

_SEQ = itertools.count(1)
SEED_RNOKPP = "3183501233"  # every seeded resident's РНОКПП (conftest.seed_town)
VALID_RNOKPP = "3183501233"
INVALID_RNOKPP = "3183501234"  # wrong check digit
VALID_EDRPOU = "32855961"
VALID_IBAN = "UA213223130000026007233566001"


def uid(prefix="T") -> str:
    """A key no other test (nor a re-run against the same database) uses."""
    return f"{prefix}-{next(_SEQ)}-{uuid.uuid4().hex[:6]}"


def is_ukrainian(text: str) -> bool:
    return bool(re.search(r"[а-яА-ЯіїєґІЇЄҐ]{3,}", text or ""))


# --- the database ---------------------------------------------------------------------
def scalar(app, stmt):
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(stmt)


def count(app, model, *conditions) -> int:
    return scalar(app, select(func.count()).select_from(model).where(*conditions))


def row(app, model, *conditions):
    """One row as a plain dict of its column values (None if absent)."""
    from app.extensions import db

    with app.app_context():
        obj = db.session.scalars(select(model).where(*conditions)).first()
        if obj is None:
            return None
        return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def id_of(app, model, *conditions) -> int:
    found = scalar(app, select(model.id).where(*conditions))
    assert found is not None, f"no {model.__name__} matching {conditions}"
    return found


def seed_ids(app) -> dict:
    """Ids of the seeded town: ``premise[("B2", "1")]``, ``meter["M-B2-1"]``, …"""
    from app.extensions import db
    from app.models import Account, Building, Meter, MeterType, Organisation, Premise, Reading, Resident

    with app.app_context():
        s = db.session
        return {
            "building": {b.code: b.id for b in s.scalars(select(Building).where(Building.code.in_(["B1", "B2"])))},
            "premise": {(p.building.code, p.number): p.id for p in s.scalars(
                select(Premise).join(Building).where(Building.code.in_(["B1", "B2"]), Premise.number.in_(["1", "2"])))},
            "meter": {m.serial: m.id for m in s.scalars(select(Meter).where(Meter.serial.in_(
                ["M-B1-1", "M-B1-2", "M-B2-1", "M-B2-2", "HM-B1", "HM-B2"])))},
            "reading": {r.meter.serial: r.id for r in s.scalars(select(Reading).join(Meter).where(
                Meter.serial.in_(["M-B1-1", "M-B1-2", "M-B2-1", "M-B2-2"]), Reading.date == date(2026, 10, 31)))},
            "account": {a.account_number: a.id for a in s.scalars(select(Account).where(Account.account_number.in_(
                ["B1-001", "B1-002", "B2-001", "B2-002"])))},
            "resident": {r.resident_id: r.id for r in s.scalars(select(Resident).where(Resident.resident_id.in_(
                ["R-B1-1", "R-B1-2", "R-B2-1", "R-B2-2"])))},
            "meter_type": {t.code: t.id for t in s.scalars(select(MeterType).where(MeterType.code == "CW"))},
            "organisation": s.scalar(select(Organisation.id).order_by(Organisation.id)),
        }


def make_building(app, code=None, address=None):
    """A building of the test's own, with one premise: (building id, premise id)."""
    from app.extensions import db
    from app.models import Building, Premise

    code = code or uid("TB")
    with app.app_context():
        building = Building(code=code, address=address or f"вул. Тестова, {code}", floors=5,
                            imbalance_key="volume", heat_system_share=Decimal("0.05"),
                            heat_common_share=Decimal("0.10"), heat_min_share=Decimal("0.5"))
        premise = Premise(building=building, number="1", kind="apartment", total_area=Decimal("40"),
                          heated_area=Decimal("40"), heating="central")
        db.session.add_all([building, premise])
        db.session.commit()
        return building.id, premise.id


def make_meter(app, building_code="B1", digits=5, installed_on=date(2024, 1, 1), removed_on=None,
               initial=Decimal("0"), serial=None, house=True, premise_id=None):
    """A meter of the test's own (own meter type with ``digits``): its id. A house meter of
    ``building_code`` unless ``premise_id`` is given — so the seeded meters stay untouched."""
    from app.extensions import db
    from app.models import Building, Meter, MeterType

    serial = serial or uid("TM")
    with app.app_context():
        building = db.session.scalar(select(Building).where(Building.code == building_code))
        meter_type = MeterType(code=uid("MT"), name="Тестовий лічильник", resource="cold_water",
                               digits=digits, verification_years=6)
        meter = Meter(serial=serial, meter_type=meter_type, building=building, premise_id=premise_id,
                      installed_on=installed_on, removed_on=removed_on, initial_reading=initial)
        db.session.add_all([meter_type, meter])
        db.session.commit()
        return meter.id


def add_reading(app, meter_id, day, value, source="import"):
    from app.extensions import db
    from app.models import Reading

    with app.app_context():
        reading = Reading(meter_id=meter_id, date=day, value=Decimal(value), source=source)
        db.session.add(reading)
        db.session.commit()
        return reading.id


# --- FAB's HTML -------------------------------------------------------------------------
def text(response) -> str:
    return response.get_data(as_text=True)


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def field_errors(page: str, field: str) -> list[str]:
    """The messages FAB shows next to the form field ``field`` (same table row)."""
    for chunk in re.split(r"<tr[\s>]", page):
        if re.search(rf'name="{re.escape(field)}"', chunk):
            return [_clean(m) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', chunk, re.S)]
    raise AssertionError(f"the form has no field {field!r}")


def all_field_errors(page: str) -> dict:
    found = {}
    for chunk in re.split(r"<tr[\s>]", page):
        name = re.search(r'name="([^"]+)"', chunk)
        messages = re.findall(r'<div class="alert alert-danger">(.*?)</div>', chunk, re.S)
        if name and messages:
            found[name.group(1)] = [_clean(m) for m in messages]
    return found


def flashes(page: str) -> list[str]:
    """Flashed messages (FAB renders them as dismissible alerts)."""
    return [_clean(m) for m in re.findall(
        r'<div class="alert[^"]*"[^>]*>\s*<button[^>]*class="close"[^>]*>.*?</button>(.*?)</div>', page, re.S)]


def table_text(page: str) -> str:
    """The visible text of the page's tables (the list rows, the show card)."""
    return " ".join(_clean(t) for t in re.findall(r"<table.*?</table>", page, re.S))


def csrf_token(page: str) -> str:
    found = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page))
    assert found, "no csrf_token on the page"
    return found.group(1)


# --- form data (what a browser posts; dates дд.мм.рррр, decimals with a comma) -------------
def building_form(code, **over):
    data = {"code": code, "address": f"вул. Тестова, {code}", "floors": "5", "heated_area": "",
            "common_area": "", "network_node": "", "imbalance_key": "volume",
            "heat_system_share": "0,05", "heat_common_share": "0,1", "heat_min_share": "0,5"}
    data.update(over)
    return data


def premise_form(building_id, number, **over):
    data = {"building": str(building_id), "number": number, "kind": "apartment", "total_area": "52,3",
            "heated_area": "50", "heating": "central", "gas_category": ""}
    data.update(over)
    return data


def reading_form(meter_id, day, value, **over):
    data = {"meter": str(meter_id), "date": day, "value": value, "source": "inspector"}
    data.update(over)
    return data


def payment_form(account_id, **over):
    """A payment at the desk as the form posts it: no identifier (the receipt number is given)."""
    data = {"account": str(account_id), "paid_on": "01.11.2026", "amount": "150,25", "source": "cash"}
    data.update(over)
    return data


def added_payment_id(response) -> int:
    """The new payment's id: saving the form opens the payment (its receipt)."""
    match = re.search(r"/paymentview/show/(\d+)", response.headers.get("Location", ""))
    assert match, response.headers.get("Location")
    return int(match.group(1))


def resident_form(resident_id, **over):
    data = {"resident_id": resident_id, "full_name": f"Тестовий Мешканець {resident_id}", "rnokpp": "",
            "birth_date": "", "phone": "", "email": ""}
    data.update(over)
    return data


def account_form(number, premise_id, **over):
    data = {"account_number": number, "premise": str(premise_id), "owner_name": f"Власник {number}",
            "owner_rnokpp": "", "email": "", "phone": "", "opened_on": "01.01.2025", "closed_on": ""}
    data.update(over)
    return data


def registration_form(resident_id, premise_id, **over):
    data = {"resident": str(resident_id), "premise": str(premise_id), "kind": "registered",
            "date_from": "01.01.2025", "date_to": ""}
    data.update(over)
    return data


def organisation_form(org, **over):
    """The edit form of the seeded organisation ``org`` (a dict of its columns)."""
    data = {k: ("" if org.get(k) is None else str(org[k]))
            for k in ("name", "edrpou", "iban", "bank_name", "address", "phone", "email", "website", "working_hours",
                      "invoice_notice")}
    data.update(over)
    return data
