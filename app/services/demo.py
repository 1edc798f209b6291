"""Демо-місто: a realistic Ukrainian town to try Oblik on and to load-test it.

``load_demo()`` writes a housing office («КП «Житлосервіс»») with its services and price
lists, a communication scheme (котельня → ЦТП → будинки), 5- and 9-storey blocks and a few
private houses, flats of real sizes, residents with valid РНОКПП and registrations, one
active personal account per premise, beneficiaries, house meters, flat meters and a year of
monthly readings ending last month — everything valid by the app's own rules
(``app.validation``), so the demo can be billed, edited and re-imported.

Why it is written the way it is:

* **Speed.** 100,000 accounts mean about 2 million readings. Rows are produced by a
  generator and written with SQLAlchemy Core ``insert()`` in executemany chunks
  (``CHUNK`` rows), parents before children; the ids of the rows that others refer to are
  assigned here (from ``max(id) + 1``, PostgreSQL sequences moved on afterwards), so nothing
  is flushed row by row through the ORM.
* **Determinism.** Every random choice comes from one ``random.Random(seed)``; the same seed
  and the same day give the same town. Dates are relative to ``date.today()``: the readings
  cover the twelve months that end with last month, and the open period is last month —
  the month whose readings are in, billed in the first days of this one, as utilities do.
* **Safety.** One transaction: a failure leaves nothing behind. E-mail addresses are in the
  reserved ``example.*`` domains, so sending invoices from a demo database reaches nobody.
"""
from __future__ import annotations

import calendar
import math
import operator
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from stdnum import iban as std_iban
from stdnum.ua import edrpou as std_edrpou, rntrc as std_rntrc

from ..billing.settings import HEAT_COMMON_SHARE, HEAT_MIN_SHARE, HEAT_SYSTEM_SHARE
from ..extensions import db
from ..models import (
    Account, AccountService, BenefitCategory, Beneficiary, Building, Meter, MeterEvent, MeterType,
    NetworkNode, Norm, OpeningBalance, Organisation, Period, Premise, Reading, Registration, Resident, Service,
    Tariff, TariffComponent,
)
from .sql import insert_rows

DEFAULT_ACCOUNTS = 300
CHUNK = 10_000
MONTHS = 12  # readings: the twelve months ending with last month


class DemoError(Exception):
    """The demo town cannot be loaded (message in Ukrainian, shown by ``oblik demo``)."""


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------
ORGANISATION = {
    "name": "КП «Житлосервіс»",
    "bank_name": "АТ «Ощадбанк»",
    "mfo": "300465",
    "address": "вул. Соборна, 12, м. Новоград, 11700",
    "phone": "+380412420315",
    "email": "info@zhytloservis.example.org",
    "website": "https://zhytloservis.example.org",
    "working_hours": "пн–чт 8:00–17:00, пт 8:00–15:45, обідня перерва 12:00–12:45; сб, нд — вихідні",
    "invoice_notice": (
        "Показники лічильників передавайте з 20 по 28 число щомісяця: за посиланням із нагадування "
        "на e-mail, телефоном (0412) 42-03-15 або в абонентському відділі (вул. Соборна, 12, каб. 3). "
        "Без показників обсяг нараховується за середнім споживанням, а після трьох місяців — за нормою.\n"
        "Якщо ви не згодні з нарахуванням, подайте письмову скаргу до абонентського відділу або на "
        "info@zhytloservis.example.org протягом 30 днів від дати рахунку; відповідь надаємо протягом "
        "30 днів, а перерахунок, якщо скаргу визнано, — у наступному рахунку.\n"
        "Аварійна служба цілодобово: (0412) 42-00-00."
    ),
}
# E-invoices: this share of the open accounts of households agreed to get the invoices by e-mail —
# with the owner's e-mail, or one given for the invoices; drawn from a random stream of its own, so
# that the rest of the town stays what the seed made it.
EINVOICE_SHARE = 0.6
# вхідне сальдо brought over from the old system: a few households owe for maintenance since
# long ago — some beyond the limitation period (36 months: write-off candidates), some 3 to 24
# months (the debtors' middle buckets); drawn from a random stream of their own, so the rest of
# the town is the same as without them
OLD_DEBT_SHARE = 0.02
YOUNGER_DEBT_SHARE = 0.04
EINVOICE_SINCE = date(2021, 1, 1)

# (code, name, unit, method, resource, area_basis, quantity_precision)
SERVICES = (
    ("UTR", "Управління багатоквартирним будинком (утримання будинку)", "м²", "area", None, "total", 2),
    ("TPV", "Вивезення побутових відходів", "особа", "persons", None, "total", 3),
    ("CW", "Централізоване постачання холодної води", "м³", "metered", "cold_water", "total", 3),
    ("HW", "Централізоване постачання гарячої води", "м³", "metered", "hot_water", "total", 3),
    ("SEW", "Централізоване водовідведення", "м³", "metered", "sewerage", "total", 3),
    ("HEAT", "Централізоване опалення", "Гкал", "group", "heat", "heated", 4),
    ("DOM", "Обслуговування домофона", "шт.", "fixed", None, "total", 3),
)
# Prices, UAH with VAT: last year's and this year's (valid from 1 January). Heat is frozen
# (the martial-law moratorium on heat tariffs for households), so it has one entry.
TARIFFS = {
    "UTR": ("7.48", "8.35"),
    "TPV": ("38.50", "44.20"),
    "CW": ("31.68", "35.46"),
    "HW": ("98.56", "104.37"),
    "SEW": ("24.12", "27.84"),
    "HEAT": ("1964.36",),
    "DOM": ("18.00", "22.00"),
}
# Hot water = cold water for hot water supply + heating of water (складові тарифу).
HW_COMPONENTS = (
    (("Холодна вода для ГВП", "31.68"), ("Підігрів води", "66.88")),
    (("Холодна вода для ГВП", "35.46"), ("Підігрів води", "68.91")),
)
NORMS = {"CW": "3.0", "HW": "2.0", "SEW": "5.0"}  # ОТН, m³ per person and month

# (code, name, resource, digits, verification_years)
METER_TYPES = (
    ("CW", "Лічильник холодної води квартирний (DN15)", "cold_water", 5, 6),
    ("HW", "Лічильник гарячої води квартирний (DN15)", "hot_water", 5, 4),
    ("CWH", "Будинковий лічильник холодної води (DN50)", "cold_water", 6, 4),
    ("HEATM", "Теплолічильник будинковий (вузол комерційного обліку)", "heat", 7, 4),
    ("ALLOC", "Розподілювач теплоти радіаторний", "heat_allocator", None, None),
)
# (code, name, pct, who, issued from..to years, entitled = household?)
BENEFITS = (
    ("VP", "Ветеран праці", "50", "senior", (2005, 2021), False),
    ("UBD", "Учасник бойових дій", "75", "adult", (2015, None), True),
    ("IVV", "Особа з інвалідністю внаслідок війни", "100", "adult", (2016, None), True),
    ("VVS", "Ветеран військової служби", "50", "senior", (2003, 2020), False),
    ("CHAES1", "Постраждалий внаслідок Чорнобильської катастрофи (1 категорія)", "100", "chaes", (1996, 2006), True),
    ("CHAES2", "Постраждалий внаслідок Чорнобильської катастрофи (2 категорія)", "50", "chaes", (1996, 2006), False),
    ("BAGAT", "Багатодітна сім'я", "50", "parent", (2018, None), True),
)
BENEFIT_WEIGHTS = (34, 30, 8, 10, 3, 8, 7)
CERT_SERIES = {"VP": "ВП", "UBD": "УБД", "IVV": "ІВ", "VVS": "ВВ", "CHAES1": "А", "CHAES2": "Б", "BAGAT": "БС"}

# Streets with apartment blocks, and the quieter streets of private houses.
BLOCK_STREETS = (
    "вул. Шевченка", "вул. Івана Франка", "бульв. Лесі Українки", "вул. Грушевського", "вул. Соборна",
    "просп. Незалежності", "вул. Героїв Майдану", "вул. Київська", "вул. Степана Бандери",
    "вул. Вʼячеслава Чорновола", "вул. Січових Стрільців", "вул. Гетьмана Мазепи",
    "вул. Богдана Хмельницького", "просп. Миру", "вул. Молодіжна", "вул. Спортивна",
    "вул. Княгині Ольги", "вул. Євгена Коновальця", "вул. Симона Петлюри", "вул. Василя Стуса",
    "вул. Ліни Костенко", "вул. Олени Теліги", "вул. Європейська", "вул. Покровська",
    "вул. Михайла Коцюбинського", "вул. Пирогова", "вул. Театральна", "вул. Володимирська",
    "вул. Героїв Небесної Сотні", "вул. Захисників України", "просп. Свободи", "вул. Петра Сагайдачного",
    "вул. Лесі Курбаса", "вул. Григорія Сковороди", "вул. Остапа Вишні", "вул. Пилипа Орлика",
    "вул. Тараса Бульби", "вул. Квітки-Основʼяненка", "вул. Замкова", "вул. Лукʼянівська",
)
HOUSE_STREETS = (
    "вул. Садова", "вул. Вишнева", "вул. Польова", "вул. Лугова", "вул. Калинова", "вул. Озерна",
    "пров. Тихий", "пров. Зелений", "вул. Яблунева", "вул. Джерельна", "пров. Весняний", "вул. Липова",
)

SURNAMES = (
    "Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук",
    "Бойко", "Ткачук", "Мельник", "Коваль", "Савченко", "Лисенко", "Руденко", "Марченко", "Мороз",
    "Петренко", "Павленко", "Кравчук", "Клименко", "Гончаренко", "Левченко", "Карпенко", "Кузьменко",
    "Кушнір", "Гнатюк", "Гаврилюк", "Романюк", "Литвиненко", "Ковальчук", "Мазур", "Білоус",
    "Захарченко", "Іваненко", "Тимошенко", "Ярошенко", "Кравець", "Вовк", "Дяченко", "Костенко",
    "Панченко", "Сидоренко", "Ковтун", "Стельмах", "Пономаренко", "Приходько", "Гребенюк", "Остапчук",
    "Шевчишин", "Данилюк", "Федорук", "Антонюк", "Семенюк", "Василенко", "Гордієнко", "Нестеренко",
    "Гуменюк", "Онищенко", "Зінченко", "Тарасенко", "Дмитренко", "Собко", "Чорновіл", "Симоненко",
)
# Surnames with a feminine form.
GENDERED_SURNAMES = (
    ("Ковальський", "Ковальська"), ("Вишневський", "Вишневська"), ("Жуковський", "Жуковська"),
    ("Савицький", "Савицька"), ("Яворський", "Яворська"), ("Білецький", "Білецька"),
    ("Соколов", "Соколова"), ("Іванов", "Іванова"), ("Шевчинський", "Шевчинська"),
    ("Гладкий", "Гладка"), ("Сухий", "Суха"), ("Заболотний", "Заболотна"),
)
# Male first name → (patronymic of a son, of a daughter).
MALE_NAMES = {
    "Олександр": ("Олександрович", "Олександрівна"), "Сергій": ("Сергійович", "Сергіївна"),
    "Андрій": ("Андрійович", "Андріївна"), "Іван": ("Іванович", "Іванівна"),
    "Микола": ("Миколайович", "Миколаївна"), "Володимир": ("Володимирович", "Володимирівна"),
    "Дмитро": ("Дмитрович", "Дмитрівна"), "Юрій": ("Юрійович", "Юріївна"),
    "Василь": ("Васильович", "Василівна"), "Олег": ("Олегович", "Олегівна"),
    "Петро": ("Петрович", "Петрівна"), "Павло": ("Павлович", "Павлівна"),
    "Віктор": ("Вікторович", "Вікторівна"), "Богдан": ("Богданович", "Богданівна"),
    "Тарас": ("Тарасович", "Тарасівна"), "Михайло": ("Михайлович", "Михайлівна"),
    "Максим": ("Максимович", "Максимівна"), "Артем": ("Артемович", "Артемівна"),
    "Ігор": ("Ігорович", "Ігорівна"), "Роман": ("Романович", "Романівна"),
    "Віталій": ("Віталійович", "Віталіївна"), "Анатолій": ("Анатолійович", "Анатоліївна"),
    "Степан": ("Степанович", "Степанівна"), "Григорій": ("Григорович", "Григорівна"),
    "Ярослав": ("Ярославович", "Ярославівна"), "Євген": ("Євгенович", "Євгенівна"),
    "Назар": ("Назарович", "Назарівна"), "Денис": ("Денисович", "Денисівна"),
}
MALE_FIRST = tuple(MALE_NAMES)
FEMALE_FIRST = (
    "Олена", "Наталія", "Тетяна", "Ірина", "Оксана", "Світлана", "Марія", "Галина", "Людмила",
    "Юлія", "Ольга", "Катерина", "Анна", "Вікторія", "Надія", "Валентина", "Любов", "Софія",
    "Христина", "Дарина", "Зоряна", "Леся", "Мирослава", "Анастасія", "Ганна", "Соломія",
)
BUSINESSES = (
    "ТОВ «Аптека Добробут»", "ТОВ «Продукти Поруч»", "ФОП {name} (перукарня)", "ТОВ «Оптика Зір»",
    "ФОП {name} (ремонт взуття)", "ТОВ «Квіткова лавка»", "ПП «Нотаріальна контора»",
    "ФОП {name} (магазин «Господар»)", "ТОВ «Стоматологія Усмішка»", "ГО «Рада ветеранів мікрорайону»",
)
PHONE_CODES = ("50", "66", "95", "99", "67", "68", "96", "97", "98", "63", "73", "93")
MAIL_DOMAINS = ("example.com", "example.net", "example.org")
TRANSLIT = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяʼ'",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n", "o",
     "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia", "", ""],
))

# Heat use of a block, Gcal per m² of heated area, by calendar month (heating season
# mid-October … mid-April): about 0.13 Gcal/m² a year.
HEAT_PER_M2 = {1: 0.029, 2: 0.026, 3: 0.020, 4: 0.007, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0,
               10: 0.006, 11: 0.018, 12: 0.025}
WATER_SEASON = {1: 0.95, 2: 0.93, 3: 0.97, 4: 1.0, 5: 1.04, 6: 1.1, 7: 1.12, 8: 1.1, 9: 1.02,
                10: 0.99, 11: 0.96, 12: 1.0}


# --------------------------------------------------------------------------------------------
# Valid identifiers (python-stdnum computes the check digits)
# --------------------------------------------------------------------------------------------
def make_rnokpp(rng: random.Random, birth: date, male: bool) -> str:
    """РНОКПП: days since 31.12.1899, a serial number whose last digit is odd for men and
    even for women, and the check digit."""
    days = (birth - date(1899, 12, 31)).days
    serial = rng.randrange(0, 1000) * 10 + rng.randrange(1 if male else 0, 10, 2)
    body = f"{days:05d}{serial:04d}"
    return body + std_rntrc.calc_check_digit(body)


def make_edrpou(rng: random.Random) -> str:
    body = "0" + "".join(str(rng.randrange(10)) for _ in range(6))
    number = body + std_edrpou.calc_check_digit(body)
    assert std_edrpou.is_valid(number)
    return number


def make_iban(rng: random.Random, mfo: str) -> str:
    """UA IBAN: bank code (МФО, 6 digits) + a 19-digit account (current account 2600…)."""
    account = "26003" + "".join(str(rng.randrange(10)) for _ in range(9))
    bban = mfo + account.rjust(19, "0")
    number = "UA" + std_iban.calc_check_digits("UA00" + bban) + bban
    assert std_iban.is_valid(number)
    return number


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------
def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def random_day(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def dec(units: int, places: int) -> Decimal:
    """An integer number of 10^-places as a Decimal with exactly ``places`` decimals."""
    return Decimal(units).scaleb(-places)


# --------------------------------------------------------------------------------------------
# Bulk writing
# --------------------------------------------------------------------------------------------
TABLES = (
    NetworkNode, Building, Premise, Resident, Registration, Account, AccountService, OpeningBalance, Beneficiary,
    Meter, MeterEvent, Reading,
)  # parents before children: a flush writes every buffer in this order
ASSIGNED_IDS = (NetworkNode, Building, Premise, Resident, Account, Meter)


class BulkWriter:
    """Buffers rows per table and writes each full buffer as one set: SQLAlchemy Core
    ``insert()`` executed with the whole chunk (executemany). Two drivers get a faster path
    for the same rows: PostgreSQL ``COPY … FROM STDIN`` (about twice as fast as multi-row
    INSERTs there, where the per-row cost is the foreign-key trigger and the WAL) and SQLite's
    own ``executemany`` of one INSERT fed with values already in the form SQLAlchemy stores
    (ISO dates, floats for NUMERIC) — it skips SQLAlchemy's per-row parameter processing,
    about a third of the load time; tests/test_demo.py checks it stores the same values.

    (A background writer thread was tried: it is slower — sqlite3 and psycopg2 release and
    re-take the GIL per row or per block, and the generator holds it.)"""

    def __init__(self, connection, chunk: int = CHUNK):
        self.connection = connection
        self.chunk = chunk
        dialect = connection.dialect
        if dialect.name == "postgresql" and dialect.driver == "psycopg2":
            self.path = "copy"
        elif dialect.name == "sqlite" and dialect.driver == "pysqlite":
            self.path = "sqlite"
        else:
            self.path = "core"
        self.integrity_errors = (IntegrityError, getattr(dialect.dbapi, "IntegrityError", IntegrityError))
        self.buffers = {model: [] for model in TABLES}
        self.counts = {model: 0 for model in TABLES}
        self.next_id = {}
        for model in ASSIGNED_IDS:
            top = connection.execute(select(func.max(model.id))).scalar()
            self.next_id[model] = (top or 0) + 1

    def new_id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def add(self, model, row: dict):
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self.flush()

    def flush(self):
        """Write every non-empty buffer, parents first."""
        for model, rows in self.buffers.items():
            if rows:
                self._write(model.__table__, rows)
                self.counts[model] += len(rows)
                rows.clear()

    def _write(self, table, rows):
        columns = list(rows[0])
        if self.path == "copy":
            self._copy(table, columns, rows)
        elif self.path == "sqlite":
            getter = operator.itemgetter(*columns)
            converters = [(i, f) for i, f in enumerate(_sqlite_converter(table.c[c].type) for c in columns) if f]
            values = []
            for row in rows:
                value = list(getter(row))
                for i, f in converters:
                    if value[i] is not None:
                        value[i] = f(value[i])
                values.append(value)
            quote = self.connection.dialect.identifier_preparer.quote
            sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            cursor = self.connection.connection.dbapi_connection.cursor()
            try:
                cursor.executemany(sql, values)
            finally:
                cursor.close()
        else:
            self.connection.execute(insert(table), rows)

    def _copy(self, table, columns, rows):
        getter = operator.itemgetter(*columns)
        insert_rows(self.connection, table, columns, [getter(row) for row in rows])

    def sync_sequences(self):
        """PostgreSQL: move each serial sequence past the ids assigned here."""
        if self.connection.dialect.name != "postgresql":
            return
        for model in ASSIGNED_IDS:
            name = model.__tablename__
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            ))


def _sqlite_converter(column_type):
    """What SQLAlchemy's SQLite dialect stores: dates as ISO text, NUMERIC as float, money
    as whole kopiyky."""
    from sqlalchemy import Date, DateTime, Numeric

    from ..models.types import is_money, to_kopiyky

    if is_money(column_type):
        return to_kopiyky
    if isinstance(column_type, DateTime):
        return lambda v: v.isoformat(" ")
    if isinstance(column_type, Date):
        return date.isoformat
    if isinstance(column_type, Numeric):
        return float
    return None


# --------------------------------------------------------------------------------------------
# The plan of the town: buildings and the communication scheme
# --------------------------------------------------------------------------------------------
@dataclass
class BuildingPlan:
    code: str
    kind: str  # "5", "9" (storeys) or "house"
    address: str
    flats: int
    nonresidential: int = 0
    floors: int = 1
    entrances: int = 1
    year: int = 1970
    hot_water: bool = False
    gas_stoves: bool = False
    allocators: bool = False
    intercom_from: date | None = None
    imbalance_key: str = "volume"
    node_code: str | None = None
    id: int = 0


@dataclass
class TownPlan:
    buildings: list
    nodes: list = field(default_factory=list)  # (code, name, kind, parent_code)


def plan_town(rng: random.Random, accounts: int, today: date) -> TownPlan:
    """Decide the buildings (type, size, address) so that their premises add up to
    ``accounts`` — one active personal account per premise."""
    houses = min(accounts, max(2, round(accounts / 800)))
    remaining = accounts - houses
    blocks = []
    # A small town still gets several blocks: no block above a fifth of the flats.
    cap = max(36, accounts // 5)
    while remaining > 0:
        if rng.random() < 0.48:
            kind, floors, entrances, per_floor = "5", 5, rng.choice((2, 3, 4, 4, 5, 6)), rng.choice((3, 4, 4))
        else:
            kind, floors, entrances, per_floor = "9", 9, rng.choice((1, 2, 3, 3, 4, 6)), 4
        while entrances > 1 and floors * entrances * per_floor > cap:
            entrances -= 1
        # Shops, a pharmacy, a hairdresser on the ground floor of some 5-storey blocks (and
        # always in the first one, so that every town has a non-residential premise).
        first_five = kind == "5" and not any(b[0] == "5" for b in blocks)
        nonres = rng.choice((1, 1, 2)) if kind == "5" and (first_five or rng.random() < 0.35) else 0
        flats = floors * entrances * per_floor
        if flats + nonres >= remaining:
            nonres = min(nonres, remaining - 1)
            flats = remaining - nonres
            entrances = max(1, min(entrances, math.ceil(flats / (floors * per_floor))))
        blocks.append((kind, floors, entrances, flats, nonres))
        remaining -= flats + nonres
    order = [("block", b) for b in blocks] + [("house", None)] * houses
    # Private houses are scattered among the blocks (codes follow the order of the survey).
    rng.shuffle(order)

    street_no = {}

    def next_number(street):
        last = street_no.get(street, 0)
        if last and rng.random() < 0.06:
            street_no[street] = last
            return f"{last}{rng.choice('АБ')}"
        number = last + rng.choice((1, 2, 2, 3))
        street_no[street] = number
        return str(number)

    buildings = []
    window_start = date(*add_months(today.year, today.month, -MONTHS), 1)
    allocator_every = 18  # about one block in 18 has heat cost allocators in every flat
    block_index = 0
    for n, (what, spec) in enumerate(order, start=1):
        code = f"B{n:04d}"
        if what == "house":
            street = rng.choice(HOUSE_STREETS)
            buildings.append(BuildingPlan(code=code, kind="house", address=f"{street}, {next_number(street)}",
                                          flats=1, floors=rng.choice((1, 1, 2)), year=rng.randint(1955, 2015),
                                          gas_stoves=True))
            continue
        kind, floors, entrances, flats, nonres = spec
        block_index += 1
        street = BLOCK_STREETS[min(int(rng.random() ** 1.6 * len(BLOCK_STREETS)), len(BLOCK_STREETS) - 1)]
        year = rng.randint(1958, 1972) if kind == "5" else rng.randint(1974, 1995)
        hot_water = kind == "9" or rng.random() < 0.6
        intercom = rng.random() < 0.7
        plan = BuildingPlan(
            code=code, kind=kind, address=f"{street}, {next_number(street)}", flats=flats,
            nonresidential=nonres, floors=floors, entrances=entrances, year=year, hot_water=hot_water,
            gas_stoves=kind == "5" or rng.random() < 0.5,
            allocators=(block_index % allocator_every == 3) and nonres == 0,
            imbalance_key=rng.choices(("volume", "persons", "area"), (85, 10, 5))[0],
        )
        if intercom:
            plan.intercom_from = (date(*add_months(window_start.year, window_start.month, rng.randrange(1, MONTHS)), 1)
                                  if rng.random() < 0.2 else date(rng.randint(2008, 2022), rng.randint(1, 12), 1))
        buildings.append(plan)

    # The communication scheme: a boiler house feeds a few heat points, each feeding blocks.
    blocks_only = [b for b in buildings if b.kind != "house"]
    nodes = []
    per_point, per_boiler = 12, 6
    points = max(1, math.ceil(len(blocks_only) / per_point))
    boilers = max(1, math.ceil(points / per_boiler))
    boiler_streets = ("вул. Заводська", "вул. Промислова", "вул. Енергетиків", "вул. Залізнична")
    for k in range(1, boilers + 1):
        nodes.append((f"KOT-{k:02d}", f"Котельня № {k} ({boiler_streets[(k - 1) % 4]}, {2 * k + 1})",
                      "boiler_house", None))
    for k in range(1, points + 1):
        nodes.append((f"CTP-{k:03d}", f"ЦТП-{k}", "heat_point", f"KOT-{(k - 1) // per_boiler + 1:02d}"))
    for i, plan in enumerate(blocks_only):
        plan.node_code = f"CTP-{i // per_point + 1:03d}"
    return TownPlan(buildings=buildings, nodes=nodes)


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------
@dataclass
class Person:
    id: int
    full_name: str
    male: bool
    birth: date
    rnokpp: str | None
    phone: str | None
    email: str | None
    present: bool = True  # counted at the end of the readings window


class Town:
    """Generates the rows of the demo town into a ``BulkWriter``."""

    def __init__(self, rng: random.Random, today: date, writer: BulkWriter, catalog: dict, seed=None,
                 opening_debts: bool = True):
        self.opening_debts = opening_debts
        self.rng = rng
        self.consent_rng = random.Random(f"e-invoices:{seed}")
        self.debt_rng = random.Random(f"opening-debts:{seed}")
        self.today = today
        self.w = writer
        self.catalog = catalog
        first = add_months(today.year, today.month, -MONTHS)
        self.months = [add_months(first[0], first[1], i) for i in range(MONTHS)]
        self.month_days = [(y, m, calendar.monthrange(y, m)[1]) for y, m in self.months]
        self.window_start = date(*self.months[0], 1)
        self.window_end = month_end(*self.months[-1])
        self.period_start = date(*self.months[-1], 1)  # the open period: last month
        self.account_seq = 0
        self.resident_seq = 0
        self.meter_seq = 0
        self.seal_seq = 0
        self.cert_seq = 0
        self.flat_cold_meters = 0
        self.rollover_at = {7, 151}  # a couple of flat cold-water meters pass 99999 in the window
        self.stats = {"rollovers": 0, "replaced": 0, "beneficiaries": 0}

    # --- people -------------------------------------------------------------------------
    def _surname(self, male: bool) -> str:
        if self.rng.random() < 0.15:
            pair = self.rng.choice(GENDERED_SURNAMES)
            return pair[0] if male else pair[1]
        return self.rng.choice(SURNAMES)

    def _feminine(self, surname: str) -> str:
        for m, f in GENDERED_SURNAMES:
            if surname == m:
                return f
        return surname

    def _masculine(self, surname: str) -> str:
        for m, f in GENDERED_SURNAMES:
            if surname == f:
                return m
        return surname

    def _birth(self, age_from: int, age_to: int) -> date:
        end = add_years(self.today, -age_from)
        return random_day(self.rng, add_years(self.today, -age_to - 1) + timedelta(days=1), end)

    def _phone(self) -> str:
        r = self.rng
        return f"+380{r.choice(PHONE_CODES)}{r.randrange(1000000, 10000000)}"

    def _email(self, surname: str, first: str, birth: date) -> str:
        login = "".join(TRANSLIT.get(c, c) for c in surname.lower())
        initial = "".join(TRANSLIT.get(c, c) for c in first.lower())[:1]
        return f"{login}.{initial}{birth.year % 100:02d}{self.rng.randrange(10, 100)}@{self.rng.choice(MAIL_DOMAINS)}"

    def _invoice_email(self, owner_name: str) -> str:
        """The address an owner gave for the invoices (from the stream of the e-invoices)."""
        r = self.consent_rng
        surname, first = (owner_name.split() + ["", ""])[:2]
        login = "".join(TRANSLIT.get(c, c) for c in surname.lower())
        initial = "".join(TRANSLIT.get(c, c) for c in first.lower())[:1]
        return f"{login}.{initial}{r.randrange(100, 1000)}@{r.choice(MAIL_DOMAINS)}"

    def person(self, surname: str, male: bool, birth: date, father: str | None = None,
               adult_contacts: bool = True) -> Person:
        r = self.rng
        first = r.choice(MALE_FIRST if male else FEMALE_FIRST)
        father = father or r.choice(MALE_FIRST)
        patronymic = MALE_NAMES[father][0 if male else 1]
        surname = self._masculine(surname) if male else self._feminine(surname)
        age = (self.today - birth).days / 365.25
        adult = age >= 18
        rnokpp = make_rnokpp(r, birth, male) if r.random() < (0.74 if adult else 0.3) else None
        phone = self._phone() if adult and adult_contacts and r.random() < 0.6 else None
        email = self._email(surname, first, birth) if adult and adult_contacts and r.random() < 0.25 else None
        self.resident_seq += 1
        pid = self.w.new_id(Resident)
        full_name = f"{surname} {first} {patronymic}"
        self.w.add(Resident, {"id": pid, "resident_id": f"R{self.resident_seq:07d}", "full_name": full_name,
                              "rnokpp": rnokpp, "birth_date": birth, "phone": phone, "email": email})
        return Person(pid, full_name, male, birth, rnokpp, phone, email)

    def outsider(self) -> tuple[str, str | None]:
        """An owner who is not a resident of the town (ПІБ and maybe РНОКПП), no record."""
        r = self.rng
        male = r.random() < 0.5
        surname = self._surname(male)
        first = r.choice(MALE_FIRST if male else FEMALE_FIRST)
        patronymic = MALE_NAMES[r.choice(MALE_FIRST)][0 if male else 1]
        birth = self._birth(25, 80)
        return f"{surname} {first} {patronymic}", (make_rnokpp(r, birth, male) if r.random() < 0.7 else None)

    def household(self, rooms: int, moved_in: date) -> list[Person]:
        """The family of a flat: an owner, maybe a spouse, children or an elderly parent."""
        r = self.rng
        sizes = {1: ((1, 2, 3), (55, 35, 10)), 2: ((1, 2, 3, 4), (25, 35, 25, 15)),
                 3: ((1, 2, 3, 4, 5), (10, 25, 30, 25, 10)), 4: ((2, 3, 4, 5, 6), (15, 25, 30, 20, 10))}
        values, weights = sizes[min(rooms, 4)]
        size = r.choices(values, weights)[0]
        male = r.random() < 0.45
        # The owner was an adult when the family moved in.
        latest_birth = min(add_years(moved_in, -20), add_years(self.today, -22))
        earliest_birth = add_years(self.today, -88)
        owner_birth = random_day(r, earliest_birth, latest_birth)
        surname = self._surname(male)
        owner = self.person(surname, male, owner_birth)
        people = [owner]
        father = owner.full_name.split()[1] if male else None
        owner_age = (self.today - owner_birth).days // 365
        if size >= 2 and owner_age < 82 and r.random() < 0.72:
            spouse_birth = min(owner_birth + timedelta(days=r.randint(-6 * 365, 6 * 365)), latest_birth)
            spouse = self.person(surname, not male, spouse_birth)
            people.append(spouse)
            if not male:
                father = spouse.full_name.split()[1]
        while len(people) < size:
            if owner_age < 60 and r.random() < 0.85:
                youngest = max(owner_age - 45, 0)
                child_age_to = min(owner_age - 19, 27)
                if child_age_to < youngest:
                    break
                birth = self._birth(youngest, child_age_to)
                people.append(self.person(surname, r.random() < 0.5, birth, father=father))
            else:
                parent_male = r.random() < 0.3
                birth = self._birth(min(owner_age + 20, 88), min(owner_age + 32, 95))
                people.append(self.person(surname, parent_male, birth))
        return people

    # --- registrations ------------------------------------------------------------------
    def register(self, person: Person, premise_id: int, start: date, kind: str = "registered",
                 end: date | None = None):
        """One or more registration rows: a documented absence (тимчасово відсутній) splits
        the stay, a departure ends it."""
        r = self.rng
        start = max(start, person.birth)
        rows = []
        roll = r.random()
        if kind == "registered" and roll < 0.025 and start < self.window_start:
            # Absent for a few months inside the window (work abroad, hospital, service…).
            away = random_day(r, self.window_start, self.window_end - timedelta(days=40))
            back = away + timedelta(days=r.randint(35, 200))
            rows.append((start, away - timedelta(days=1), "registered"))
            if back < self.today and r.random() < 0.6:
                rows.append((away, back, "absent"))
                rows.append((back + timedelta(days=1), None, "registered"))
            else:
                rows.append((away, None, "absent"))
                person.present = False
        elif kind == "registered" and roll < 0.045 and start < self.window_start:
            # Moved out during the window.
            rows.append((start, random_day(r, self.window_start, self.window_end), "registered"))
            person.present = False
        else:
            rows.append((start, end, kind))
        for date_from, date_to, row_kind in rows:
            self.w.add(Registration, {"resident_id": person.id, "premise_id": premise_id, "date_from": date_from,
                                      "date_to": date_to, "kind": row_kind})

    # --- accounts -----------------------------------------------------------------------
    def account(self, premise_id: int, owner_name: str, rnokpp: str | None, opened: date,
                closed: date | None, services: list, phone=None, email=None, household=True) -> int:
        self.account_seq += 1
        seq = self.account_seq
        aid = self.w.new_id(Account)
        consent_on = None
        if household and closed is None and self.consent_rng.random() < EINVOICE_SHARE:
            latest = self.today - timedelta(days=1)
            consent_on = random_day(self.consent_rng, min(max(opened, EINVOICE_SINCE), latest), latest)
            email = email or self._invoice_email(owner_name)
        self.w.add(Account, {"id": aid, "account_number": f"{seq // 100000 + 1:02d}{seq % 100000:05d}",
                             "premise_id": premise_id, "owner_name": owner_name, "owner_rnokpp": rnokpp,
                             "email": email, "phone": phone, "opened_on": opened, "closed_on": closed,
                             "einvoice_consent": consent_on is not None, "einvoice_consent_on": consent_on})
        self._opening_debt(aid, opened, closed, household, [code for code, _ in services])
        for code, date_from in services:
            start = max(opened, date_from or opened)
            if closed is not None and start > closed:
                continue
            self.w.add(AccountService, {"account_id": aid, "service_id": self.catalog["services"][code],
                                        "date_from": start, "date_to": closed, "quantity": Decimal(1)})
        return aid

    def _opening_debt(self, account_id: int, opened: date, closed: date | None, household: bool, codes) -> None:
        r = self.debt_rng
        draw = r.random()
        if not self.opening_debts or not household or closed is not None or "UTR" not in codes:
            return
        if draw < OLD_DEBT_SHARE:
            back = r.randint(37, 48)
        elif draw < OLD_DEBT_SHARE + YOUNGER_DEBT_SHARE:
            back = r.randint(3, 24)
        else:
            return
        year, month = add_months(self.period_start.year, self.period_start.month, -back)
        if date(year, month, 1) < opened:
            return
        self.w.add(OpeningBalance, {"account_id": account_id, "service_id": self.catalog["services"]["UTR"],
                                    "amount": dec(r.randint(50_000, 600_000), 2), "debt_since": f"{year:04d}-{month:02d}",
                                    "created_by": "demo"})

    # --- meters ------------------------------------------------------------------------
    def _verification(self, installed: date, years: int | None, overdue: bool):
        if not years:
            return None, None
        r = self.rng
        verified = installed - timedelta(days=r.randint(20, 300))  # verified at the factory
        while add_years(verified, years) < self.period_start:
            again = add_years(verified, years) - timedelta(days=r.randint(0, 40))
            if overdue and add_years(again, years) >= self.period_start:
                break
            verified = again
        return verified, add_years(verified, years)

    def meter(self, type_code: str, building_id: int, premise_id: int | None, installed: date,
              initial: Decimal, removed: date | None = None, final: Decimal | None = None,
              overdue: bool = False) -> int:
        type_id, _, years = self.catalog["meter_types"][type_code]
        self.meter_seq += 1
        self.seal_seq += 1
        mid = self.w.new_id(Meter)
        verified, next_verification = self._verification(installed, years, overdue)
        serial = f"{(verified or installed).year % 100:02d}{self.meter_seq:07d}"
        seal = f"П-{self.seal_seq:07d}"
        self.w.add(Meter, {
            "id": mid, "serial": serial, "meter_type_id": type_id, "building_id": building_id,
            "premise_id": premise_id, "installed_on": installed, "initial_reading": initial,
            "removed_on": removed, "final_reading": final, "verified_on": verified,
            "next_verification": next_verification, "seal_number": seal, "sealed_on": installed,
        })
        # The meter history (what app.services.meter_history writes for a meter made by the ORM).
        events = [(installed, "installation", initial, None)]
        if removed:
            events.append((removed, "removal", final, None))
        if verified:
            events.append((verified, "verification", None, None))
        events.append((installed, "seal", None, seal))
        for day, kind, reading, document in events:
            self.w.add(MeterEvent, {"meter_id": mid, "date": day, "kind": kind, "reading": reading,
                                    "document": document, "note": None})
        return mid

    def readings(self, meter_id: int, values: list, day_pref: int | None, source: str,
                 first: int = 0, last: int = MONTHS - 1, places: int = 0, missing: float = 0.03,
                 silent_from: int | None = None, not_before: date | None = None, not_after: date | None = None):
        """One reading per month ``first``…``last`` of the window (``values[i]`` in units of
        10^-places; ``day_pref`` None = the last day of the month), a few months missing."""
        rnd = self.rng.random
        add = self.w.add
        for i in range(first, last + 1):
            if silent_from is not None and i >= silent_from:
                break
            if rnd() < missing:
                continue
            year, month, days = self.month_days[i]
            day = days if day_pref is None else min(days, max(1, day_pref + int(rnd() * 5) - 2))
            when = date(year, month, day)
            if not_before and when < not_before:
                when = not_before
            if not_after and when > not_after:
                continue
            add(Reading, {"meter_id": meter_id, "date": when, "value": dec(values[i], places) if places else values[i],
                          "source": source, "entered_by": None})

    def flat_water(self, building_id: int, premise_id: int, type_code: str, monthly: list,
                   since: date, count: int):
        """The cold- or hot-water meters of a premise (``count`` — kitchen and bathroom) and
        their readings: whole m³ as residents read them, registers of 5 digits."""
        r = self.rng
        capacity = 10 ** self.catalog["meter_types"][type_code][1]
        shares = (1.0,) if count == 1 else (0.35, 0.65)
        for share in shares:
            scenario = r.random()
            day_pref = r.randint(18, 28)
            source = r.choices(("resident", "inspector", "import"), (70, 20, 10))[0]
            missing = 0.03
            silent_from = MONTHS - r.randint(3, 5) if r.random() < 0.01 else None
            overdue = r.random() < 0.04
            flow = [m * share for m in monthly]
            if type_code == "CW":
                self.flat_cold_meters += 1
            if type_code == "CW" and self.flat_cold_meters in self.rollover_at:
                # An old refurbished meter whose register passes 99999 in the middle of the window.
                installed = random_day(r, max(since, date(2012, 1, 1)), self.window_start - timedelta(days=400))
                before = sum(flow[:6])
                start = capacity - 1 - before + r.random()
                initial = Decimal(int(max(0, start - 20)))
                cum = [start + sum(flow[:i + 1]) for i in range(MONTHS)]
                values = [int(c) % capacity for c in cum]
                mid = self.meter(type_code, building_id, premise_id, installed, initial)
                self.readings(mid, values, day_pref, source, missing=0)
                self.stats["rollovers"] += 1
                continue
            if scenario < 0.03:
                # A new meter installed during the window: the premise was on the norm before.
                k = r.randrange(1, MONTHS)
                installed = date(*self.months[k], r.randint(1, 12))
                cum, values = r.random() * 0.5, []
                for i in range(MONTHS):
                    if i >= k:
                        cum += flow[i] if i > k else flow[i] * 0.5
                    values.append(int(cum))
                mid = self.meter(type_code, building_id, premise_id, installed, Decimal(0), overdue=False)
                self.readings(mid, values, max(day_pref, 15), source, first=k, missing=missing, not_before=installed)
                continue
            installed = random_day(r, max(since, date(2013, 1, 1)), self.window_start - timedelta(days=45))
            months_before = (self.window_start - installed).days / 30.44
            initial = Decimal(r.choice((0, 0, 0, 1, 2, 5)))
            start = float(initial) + months_before * (sum(flow) / MONTHS) * r.uniform(0.8, 1.15)
            start = min(start, capacity * 0.8)
            cum = [start + sum(flow[:i + 1]) for i in range(MONTHS)]
            if scenario < 0.04:
                # Replaced during the window: removed with a final reading, a new one installed
                # the same day from zero.
                k = r.randrange(2, MONTHS)
                removed = date(*self.months[k], r.randint(3, 12))
                final_cum = cum[k - 1] + flow[k] * removed.day / 30
                old = self.meter(type_code, building_id, premise_id, installed, initial,
                                 removed=removed, final=Decimal(int(final_cum)))
                self.readings(old, [int(c) for c in cum], day_pref, source, last=k - 1, missing=missing)
                new_cum, values = 0.0, []
                for i in range(MONTHS):
                    if i == k:
                        new_cum += flow[k] - flow[k] * removed.day / 30
                    elif i > k:
                        new_cum += flow[i]
                    values.append(int(new_cum))
                new = self.meter(type_code, building_id, premise_id, removed, Decimal(0))
                self.readings(new, values, max(day_pref, 15), source, first=k, missing=missing, not_before=removed)
                self.stats["replaced"] += 1
                continue
            mid = self.meter(type_code, building_id, premise_id, installed, initial, overdue=overdue)
            self.readings(mid, [int(c) for c in cum], day_pref, source, missing=missing, silent_from=silent_from)

    # --- buildings ---------------------------------------------------------------------
    def flat_sizes(self, plan: BuildingPlan):
        """Rooms, total and heated area of each flat (Decimal with 1 or 2 places)."""
        r = self.rng
        weights = (30, 45, 25) if plan.kind == "5" else (28, 40, 30, 2)
        ranges = {1: (300, 380), 2: (440, 560), 3: (600, 750), 4: (780, 900)}
        for _ in range(plan.flats):
            rooms = r.choices((1, 2, 3, 4)[:len(weights)], weights)[0]
            low, high = ranges[rooms]
            if r.random() < 0.8:
                total = r.randint(low, high) * 10  # one decimal place
            else:
                total = r.randint(low * 10, high * 10)  # two
            loggia = r.choice((0, 0, 150, 210, 280, 320)) if rooms > 1 else r.choice((0, 0, 120, 180))
            heated = max(total - loggia, total // 2)
            places = 1 if total % 10 == 0 and heated % 10 == 0 else 2
            yield rooms, dec(total // 10 ** (2 - places), places), dec(heated // 10 ** (2 - places), places)

    def building(self, plan: BuildingPlan, node_ids: dict):
        r = self.rng
        if plan.kind == "house":
            return self.private_house(plan)
        plan.id = bid = self.w.new_id(Building)
        premises = []
        for number, (rooms, total, heated) in enumerate(self.flat_sizes(plan), start=1):
            heating = "individual" if r.random() < 0.03 and not plan.allocators else "central"
            premises.append((str(number), "apartment", rooms, total, heated, heating))
        for k in range(1, plan.nonresidential + 1):
            area = r.randint(400, 1800)
            premises.append((f"Н{k}", "nonresidential", 0, dec(area, 1), dec(area, 1),
                             "central" if r.random() < 0.7 else "individual"))
        heated_sum = sum((p[4] for p in premises if p[5] == "central"), Decimal(0))
        common = dec(plan.floors * plan.entrances * r.randint(120, 170), 1)
        self.w.add(Building, {
            "id": bid, "code": plan.code, "address": plan.address, "floors": plan.floors,
            "heated_area": heated_sum, "common_area": common, "imbalance_key": plan.imbalance_key,
            "heat_system_share": HEAT_SYSTEM_SHARE, "heat_common_share": HEAT_COMMON_SHARE,
            "heat_min_share": HEAT_MIN_SHARE, "network_node_id": node_ids.get(plan.node_code),
        })
        house_cold = [0.0] * MONTHS
        heated_central = Decimal(0)
        # Flats are numbered entrance by entrance (1…40 in the first, 41…80 in the second…);
        # a shop has a door of its own (no entrance).
        per_entrance = math.ceil(plan.flats / max(plan.entrances, 1)) if plan.flats else 1
        for position, (number, kind, rooms, total, heated, heating) in enumerate(premises):
            pid = self.w.new_id(Premise)
            gas = None
            if kind == "apartment" and plan.gas_stoves:
                gas = "1" if plan.hot_water else "3"
            entrance = position // per_entrance + 1 if kind == "apartment" else None
            self.w.add(Premise, {"id": pid, "building_id": bid, "number": number, "kind": kind,
                                 "total_area": total, "heated_area": heated, "heating": heating,
                                 "gas_category": gas, "entrance": entrance})
            if heating == "central":
                heated_central += heated
            if kind == "apartment":
                cold = self.flat(plan, pid, rooms, heated)
            else:
                cold = self.nonresidential(plan, pid, heated, heating)
            for i in range(MONTHS):
                house_cold[i] += cold[i]
        self.house_meters(plan, float(heated_central), house_cold)

    def _services(self, plan: BuildingPlan, kind: str):
        codes = [("UTR", None), ("CW", None), ("SEW", None), ("HEAT", None)]
        if kind == "apartment":
            codes.insert(1, ("TPV", None))
            if plan.hot_water:
                codes.insert(3, ("HW", None))
            if plan.intercom_from:
                codes.append(("DOM", plan.intercom_from))
        return codes

    def _ownership(self, since_year: int):
        """(previous owner's dates or None, the current owner's date)."""
        r = self.rng
        if r.random() < 0.035:
            changed = random_day(r, add_years(self.window_start, -2), self.window_end)
            previous = random_day(r, date(max(since_year, 1996), 1, 1), add_years(changed, -3))
            return previous, changed
        return None, random_day(r, date(max(since_year, 1994), 1, 1), add_years(self.today, -1))

    def flat(self, plan: BuildingPlan, premise_id: int, rooms: int, heated: Decimal) -> list:
        r = self.rng
        services = self._services(plan, "apartment")
        previous, since = self._ownership(plan.year)
        if previous is not None:
            old_owner = self.person(self._surname(True), r.random() < 0.5, self._birth(45, 85))
            self.register(old_owner, premise_id, previous, end=since - timedelta(days=1))
            self.account(premise_id, old_owner.full_name, old_owner.rnokpp, previous, since - timedelta(days=1),
                         services, old_owner.phone, old_owner.email)
        roll = r.random()
        people = []
        if roll < 0.06:  # empty flat: the owner lives elsewhere
            owner_name, owner_rnokpp = self.outsider()
            phone, email = self._phone(), None
        elif roll < 0.10:  # rented to a displaced family (тимчасово проживають)
            owner_name, owner_rnokpp = self.outsider()
            phone, email = self._phone(), None
            arrived = random_day(r, date(2022, 3, 1), self.window_end)
            people = self.household(rooms, arrived)
            until = add_years(arrived, 1) if r.random() < 0.5 else None
            if until is not None and until < self.today:
                until = None
            for person in people:
                self.register(person, premise_id, arrived, kind="temporary", end=until)
        else:
            people = self.household(rooms, since)
            owner = people[0]
            owner_name, owner_rnokpp, phone, email = owner.full_name, owner.rnokpp, owner.phone, owner.email
            for person in people:
                self.register(person, premise_id, since)
            self.beneficiary(people)
        self.account(premise_id, owner_name, owner_rnokpp, since, None, services, phone, email)

        persons = sum(1 for p in people if p.present)
        season = [WATER_SEASON[m] for _, m in self.months]
        if plan.hot_water:
            cold_rate, hot_rate = r.uniform(2.0, 3.6), r.uniform(1.2, 2.3)
        else:
            cold_rate, hot_rate = r.uniform(2.6, 5.0), 0.0
        base = persons if persons else 0.15  # an empty flat: a little, for cleaning
        cold = [base * cold_rate * s * r.uniform(0.88, 1.12) for s in season]
        hot = [base * hot_rate * s * r.uniform(0.88, 1.12) for s in season]
        if r.random() < 0.9:  # most flats have their own meters
            count = 2 if r.random() < 0.06 else 1
            installed_since = date(max(plan.year, 2013), 1, 1)
            self.flat_water(plan.id, premise_id, "CW", cold, installed_since, count)
            if plan.hot_water:
                self.flat_water(plan.id, premise_id, "HW", hot, installed_since, count)
        if plan.allocators:
            self.allocator(plan.id, premise_id, heated)
        return cold

    def nonresidential(self, plan: BuildingPlan, premise_id: int, heated: Decimal, heating: str) -> list:
        r = self.rng
        template = r.choice(BUSINESSES)
        owner_name, owner_rnokpp = template, None
        if "{name}" in template:
            name, owner_rnokpp = self.outsider()
            owner_name = template.format(name=name)
        opened = random_day(r, date(2004, 1, 1), add_years(self.today, -1))
        self.account(premise_id, owner_name, owner_rnokpp, opened, None, self._services(plan, "nonresidential"),
                     self._phone(), None, household=False)
        cold = [r.uniform(3, 15) for _ in range(MONTHS)]
        if r.random() < 0.95:
            self.flat_water(plan.id, premise_id, "CW", cold, date(2013, 1, 1), 1)
        if plan.allocators and heating == "central":
            self.allocator(plan.id, premise_id, heated)
        return cold

    def allocator(self, building_id: int, premise_id: int, heated: Decimal):
        """A heat cost allocator: units (no dimension) counted through the heating season."""
        r = self.rng
        installed = random_day(r, add_years(self.window_start, -2), self.window_start - timedelta(days=60))
        warmth = r.uniform(0.5, 1.6)
        cum = r.randint(0, 300)
        before = cum
        values = []
        for _, month in self.months:
            cum += int(float(heated) * HEAT_PER_M2[month] * 1000 * warmth * r.uniform(0.9, 1.1))
            values.append(cum)
        mid = self.meter("ALLOC", building_id, premise_id, installed, Decimal(before))
        self.readings(mid, values, r.randint(25, 28), "import", missing=0.01)

    def house_meters(self, plan: BuildingPlan, heated_area: float, cold: list):
        r = self.rng
        # Cold water: what the flats used plus losses (the imbalance, небаланс).
        installed = random_day(r, date(2018, 1, 1), date(2021, 12, 31))
        months_before = (self.window_start - installed).days / 30.44
        monthly = [c * r.uniform(1.02, 1.10) for c in cold]
        capacity = 10 ** self.catalog["meter_types"]["CWH"][1]
        start = min(months_before * sum(monthly) / MONTHS, capacity * 0.7) + r.random()
        values, cum = [], start
        for m in monthly:
            cum += m
            values.append(int(cum * 1000))
        mid = self.meter("CWH", plan.id, None, installed, Decimal(0))
        self.readings(mid, values, None, "inspector", places=3, missing=0.005)
        # Heat: Gcal of the whole house by the season, read at the end of each month.
        installed = random_day(r, date(2016, 1, 1), date(2021, 12, 31))
        insulation = r.uniform(0.85, 1.2)
        months_before = (self.window_start - installed).days / 30.44
        yearly = heated_area * 0.131 * insulation
        cum = months_before / 12 * yearly * r.uniform(0.9, 1.1) + r.random()
        values = []
        for _, month in self.months:
            cum += heated_area * HEAT_PER_M2[month] * insulation * r.uniform(0.9, 1.1)
            values.append(int(cum * 1000))
        mid = self.meter("HEATM", plan.id, None, installed, Decimal(0))
        self.readings(mid, values, None, "import", places=3, missing=0.005)

    def private_house(self, plan: BuildingPlan):
        r = self.rng
        plan.id = bid = self.w.new_id(Building)
        total = r.randint(650, 1600)
        self.w.add(Building, {
            "id": bid, "code": plan.code, "address": plan.address, "floors": plan.floors,
            "heated_area": None, "common_area": Decimal(0), "imbalance_key": "volume",
            "heat_system_share": HEAT_SYSTEM_SHARE, "heat_common_share": HEAT_COMMON_SHARE,
            "heat_min_share": HEAT_MIN_SHARE, "network_node_id": None,
        })
        pid = self.w.new_id(Premise)
        self.w.add(Premise, {"id": pid, "building_id": bid, "number": "1", "kind": "apartment",
                             "total_area": dec(total, 1), "heated_area": dec(total, 1), "heating": "individual",
                             "gas_category": "3", "entrance": None})
        since = random_day(r, date(max(plan.year, 1994), 1, 1), add_years(self.today, -1))
        people = self.household(3, since)
        for person in people:
            self.register(person, pid, since)
        self.beneficiary(people)
        owner = people[0]
        self.account(pid, owner.full_name, owner.rnokpp, since, None, [("TPV", None), ("CW", None), ("SEW", None)],
                     owner.phone, owner.email)
        persons = max(1, sum(1 for p in people if p.present))
        rate = r.uniform(3.0, 5.0)
        cold = [persons * rate * WATER_SEASON[m] * r.uniform(0.85, 1.3) for _, m in self.months]
        if r.random() < 0.85:
            self.flat_water(bid, pid, "CW", cold, date(max(plan.year, 2013), 1, 1), 1)

    # --- benefits ----------------------------------------------------------------------
    def beneficiary(self, people: list):
        r = self.rng
        if r.random() >= 0.09:
            return
        code, name, pct, who, (year_from, year_to), household = r.choices(BENEFITS, BENEFIT_WEIGHTS)[0]
        adults = [p for p in people if (self.today - p.birth).days >= 18 * 365.25]
        ages = {p.id: (self.today - p.birth).days / 365.25 for p in people}
        if who == "senior":
            candidates = [p for p in adults if ages[p.id] >= 58]
        elif who == "chaes":
            candidates = [p for p in adults if p.birth.year <= 1968]
        elif who == "parent":
            children = [p for p in people if ages[p.id] < 18]
            candidates = adults[:1] if len(children) >= 3 else []
        else:
            candidates = [p for p in adults if 20 <= ages[p.id] <= 65]
        if not candidates:
            return
        person = r.choice(candidates)
        start = date(year_from, 1, 1)
        end = self.window_end if year_to is None else date(year_to, 12, 31)
        date_from = random_day(r, max(start, add_years(person.birth, 18)), end)
        date_to = None
        if r.random() < 0.05:
            date_to = random_day(r, max(date_from, self.window_start), self.window_end)
        self.cert_seq += 1
        self.w.add(Beneficiary, {
            "resident_id": person.id, "category_id": self.catalog["benefits"][code], "date_from": date_from,
            "date_to": date_to, "entitled": len(people) if household else 1,
            "certificate": f"{CERT_SERIES[code]} № {100000 + self.cert_seq * 7 % 900000:06d}",
        })
        self.stats["beneficiaries"] += 1


# --------------------------------------------------------------------------------------------
# Catalogs (directories): found by code or created, so a prepared database keeps its own
# --------------------------------------------------------------------------------------------
def _get_or_create(session, model, key: dict, values: dict):
    """(row, created): an existing row with that key is kept as it is."""
    row = session.scalar(select(model).filter_by(**key))
    if row is not None:
        return row, False
    row = model(**key, **values)
    session.add(row)
    session.flush()
    return row, True


def ensure_catalog(session, rng: random.Random, today: date) -> dict:
    if session.scalar(select(func.count()).select_from(Organisation)) == 0:
        o = ORGANISATION
        session.add(Organisation(name=o["name"], edrpou=make_edrpou(rng), iban=make_iban(rng, o["mfo"]),
                                 bank_name=o["bank_name"], address=o["address"], phone=o["phone"],
                                 email=o["email"], website=o["website"], working_hours=o["working_hours"],
                                 invoice_notice=o["invoice_notice"]))
    services = {}
    for code, name, unit, method, resource, basis, precision in SERVICES:
        services[code] = _get_or_create(session, Service, {"code": code}, {
            "name": name, "unit": unit, "method": method, "resource": resource, "area_basis": basis,
            "quantity_precision": precision})[0].id
    years = (date(today.year - 1, 1, 1), date(today.year, 1, 1))
    for code, prices in TARIFFS.items():
        for i, price in enumerate(prices):
            tariff, created = _get_or_create(session, Tariff, {"service_id": services[code], "valid_from": years[i]},
                                             {"price": Decimal(price)})
            if code == "HW" and created:
                tariff.components = [TariffComponent(name=n, price=Decimal(p)) for n, p in HW_COMPONENTS[i]]
    for code, norm in NORMS.items():
        _get_or_create(session, Norm, {"service_id": services[code], "valid_from": date(2020, 1, 1)},
                       {"norm_per_person": Decimal(norm)})
    meter_types = {}
    for code, name, resource, digits, years_ in METER_TYPES:
        row = _get_or_create(session, MeterType, {"code": code}, {
            "name": name, "resource": resource, "digits": digits, "verification_years": years_})[0]
        meter_types[code] = (row.id, row.digits or 9, row.verification_years)
    benefits = {}
    for code, name, pct, *_ in BENEFITS:
        benefits[code] = _get_or_create(session, BenefitCategory, {"code": code},
                                        {"name": name, "pct": Decimal(pct)})[0].id
    session.flush()
    return {"services": services, "meter_types": meter_types, "benefits": benefits}


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------
def load_demo(accounts=None, seed=2026, if_empty=False, opening_debts=True) -> str:
    """Load the demo town (``accounts`` personal accounts, default a small town of 300) and
    open the first period; returns a summary in Ukrainian. A generated town is not logged in
    the audit log (``audit.paused``): nobody changed anything."""
    from . import audit

    with audit.paused():
        return _load_demo(accounts, seed, if_empty, opening_debts)


def _load_demo(accounts, seed, if_empty, opening_debts=True) -> str:
    session = db.session
    if if_empty and session.scalar(select(Building.id).limit(1)) is not None:
        return "У базі вже є будинки — демо-місто не завантажувалося."
    target = DEFAULT_ACCOUNTS if accounts is None else int(accounts)
    if target < 1:
        raise DemoError("Кількість особових рахунків має бути додатним числом.")
    started = time.monotonic()
    today = date.today()
    rng = random.Random(seed)
    plan = plan_town(rng, target, today)
    codes = [b.code for b in plan.buildings]
    taken = []
    for i in range(0, len(codes), 500):
        taken += session.scalars(select(Building.code).where(Building.code.in_(codes[i:i + 500]))).all()
    if taken:
        shown = ", ".join(sorted(taken)[:5]) + ("…" if len(taken) > 5 else "")
        raise DemoError(f"Демо-місто вже завантажене: у базі є будинки з кодами демо-міста ({shown}). "
                        "Завантажте демо в нову базу даних.")
    writer = None
    try:
        catalog = ensure_catalog(session, rng, today)
        connection = session.connection()
        tuned = _tune_for_bulk(connection)
        writer = BulkWriter(connection)
        node_ids = {code: session.scalar(select(NetworkNode.id).where(NetworkNode.code == code))
                    for code, *_ in plan.nodes}
        for code, name, kind, parent in plan.nodes:
            if node_ids[code] is None:
                node_ids[code] = writer.new_id(NetworkNode)
                writer.add(NetworkNode, {"id": node_ids[code], "code": code, "name": name, "kind": kind,
                                         "parent_id": node_ids.get(parent)})
        town = Town(rng, today, writer, catalog, seed=seed, opening_debts=opening_debts)
        for building in plan.buildings:
            town.building(building, node_ids)
        writer.flush()
        writer.sync_sequences()
        _untune(connection, tuned)
        session.commit()
    except Exception as e:
        session.rollback()
        if writer is not None and isinstance(e, writer.integrity_errors):
            detail = str(getattr(e, "orig", e)).splitlines()[0][:200]
            raise DemoError("Демо-місто не завантажено: у базі вже є записи з тими самими ключами "
                            f"(номери рахунків, лічильників, мешканців): {detail}") from e
        raise
    _analyze(session)
    period = _open_period(today)
    if period:
        from . import ledger

        ledger.post_opening_balances(session, "demo")  # into the journal of the first open period
        session.commit()
    c = writer.counts
    seconds = time.monotonic() - started
    return (
        f"Демо-місто завантажено за {seconds:.1f} с: будинків {c[Building]}, приміщень {c[Premise]}, "
        f"особових рахунків {c[Account]} (активних {target}), мешканців {c[Resident]}, "
        f"пільговиків {c[Beneficiary]}, лічильників {c[Meter]}, показників {c[Reading]}. "
        f"Відкритий період: {period or '—'}."
    )


def _tune_for_bulk(connection):
    """SQLite: a bigger page cache while the indexes grow (restored afterwards)."""
    if connection.dialect.name != "sqlite":
        return None
    old = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB
    return old


def _untune(connection, old):
    if old is not None:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(old)}")


def _analyze(session):
    """Fresh planner statistics after a bulk load, so list screens use the right indexes."""
    try:
        session.execute(text("ANALYZE"))
        session.commit()
    except Exception:  # statistics are an optimisation only
        session.rollback()


def _open_period(today: date) -> str | None:
    from .periods import PeriodError, current_period, open_first

    period = current_period()
    if period:
        return period
    if db.session.scalar(select(Period.id).limit(1)) is not None:
        return None  # periods exist but none is open: not the demo's business
    try:
        year, month = add_months(today.year, today.month, -1)
        open_first(f"{year:04d}-{month:02d}")
    except PeriodError:
        return None
    return current_period()
