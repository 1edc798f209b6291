"""The column headers of every import kind, in one table: the English code of each column
(formats.md, what scripts write) and the Ukrainian headers banks, cash desks and accountants
write (glossary.md's words). The parser (:func:`.engine.map_headers`) accepts any of them —
case and surrounding spaces ignored, spaces and dashes read as one —, the templates
(:mod:`.template`) show the first Ukrainian header of each column, with its code beside it in
the sheet of explanations.

These are the file's words, not the interface's: they are the same whatever the user's
language, so they are plain Ukrainian text, not translatable messages.
"""
import re

# kind → {column code: (the header shown in templates, other accepted headers…)}
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "buildings": {
        "code": ("Код будинку", "Будинок"),
        "address": ("Адреса",),
        "floors": ("Кількість поверхів", "Поверхів"),
        "heated_area": ("Опалювана площа",),
        "common_area": ("Площа місць загального користування", "Площа МЗК"),
        "imbalance_key": ("Розподіл небалансу",),
        "heat_system_share": ("Частка тепла на систему опалення",),
        "heat_common_share": ("Частка тепла на місця загального користування",),
        "heat_min_share": ("Мінімальна частка тепла",),
        "network_node": ("Вузол мережі",),
    },
    "premises": {
        "building_code": ("Код будинку", "Будинок"),
        "number": ("Номер приміщення", "Квартира", "Приміщення"),
        "kind": ("Вид приміщення",),
        "total_area": ("Загальна площа",),
        "heated_area": ("Опалювана площа",),
        "heating": ("Опалення",),
        "gas_category": ("Категорія газу",),
        "entrance": ("Підʼїзд",),
    },
    "residents": {
        "resident_id": ("Код мешканця", "ID мешканця"),
        "full_name": ("ПІБ", "Прізвище, імʼя, по батькові"),
        "rnokpp": ("РНОКПП",),
        "birth_date": ("Дата народження",),
        "phone": ("Телефон",),
        "email": ("Електронна пошта", "E-mail"),
    },
    "registrations": {
        "resident_id": ("Код мешканця", "ID мешканця"),
        "building_code": ("Код будинку", "Будинок"),
        "number": ("Номер приміщення", "Квартира", "Приміщення"),
        "date_from": ("Дата з", "Зареєстрований з"),
        "date_to": ("Дата по", "Зареєстрований по"),
        "kind": ("Вид реєстрації",),
    },
    "accounts": {
        "account_number": ("Особовий рахунок", "О/р"),
        "building_code": ("Код будинку", "Будинок"),
        "number": ("Номер приміщення", "Квартира", "Приміщення"),
        "owner_name": ("Власник (наймач)", "Власник"),
        "owner_rnokpp": ("РНОКПП власника",),
        "email": ("Електронна пошта", "E-mail"),
        "phone": ("Телефон",),
        "opened_on": ("Дата відкриття",),
        "closed_on": ("Дата закриття",),
        "einvoice_consent": ("Згода на рахунки e-mail",),
        "einvoice_consent_on": ("Дата згоди",),
    },
    "services": {
        "code": ("Код послуги", "Послуга"),
        "name": ("Назва",),
        "unit": ("Одиниця виміру",),
        "method": ("Спосіб нарахування",),
        "resource": ("Ресурс",),
        "area_basis": ("Площа для нарахування",),
        "quantity_precision": ("Знаків після коми в кількості",),
    },
    "tariffs": {
        "service_code": ("Код послуги", "Послуга"),
        "valid_from": ("Діє з",),
        "price": ("Ціна", "Тариф"),
    },
    "norms": {
        "service_code": ("Код послуги", "Послуга"),
        "valid_from": ("Діє з",),
        "norm_per_person": ("Норма на особу", "Норма споживання"),
    },
    "account_services": {
        "account_number": ("Особовий рахунок", "О/р"),
        "service_code": ("Код послуги", "Послуга"),
        "date_from": ("Дата з",),
        "date_to": ("Дата по",),
        "quantity": ("Кількість",),
    },
    "meter_types": {
        "code": ("Код типу приладу обліку", "Тип лічильника"),
        "name": ("Назва",),
        "resource": ("Ресурс",),
        "digits": ("Розрядність",),
        "verification_years": ("Міжповірочний інтервал",),
    },
    "meters": {
        "serial": ("Лічильник", "Заводський номер"),
        "meter_type_code": ("Тип приладу обліку", "Тип лічильника"),
        "building_code": ("Код будинку", "Будинок"),
        "number": ("Номер приміщення", "Квартира", "Приміщення"),
        "installed_on": ("Дата встановлення",),
        "initial_reading": ("Початковий показник",),
        "removed_on": ("Дата зняття",),
        "final_reading": ("Кінцевий показник",),
        "verified_on": ("Дата повірки",),
        "next_verification": ("Наступна повірка",),
    },
    "readings": {
        "serial": ("Лічильник", "Заводський номер"),
        "date": ("Дата показника", "Дата"),
        "value": ("Показник", "Показник лічильника"),
        "source": ("Джерело",),
    },
    "payments": {
        "external_id": ("Ідентифікатор оплати", "ID оплати"),
        "account_number": ("Особовий рахунок", "О/р"),
        "paid_on": ("Дата оплати",),
        "amount": ("Сума",),
        "source": ("Джерело",),
    },
    "benefit_categories": {
        "code": ("Код категорії пільги", "Категорія пільги"),
        "name": ("Назва",),
        "pct": ("Знижка, %", "Знижка"),
    },
    "beneficiaries": {
        "resident_id": ("Код мешканця", "ID мешканця"),
        "category_code": ("Код категорії пільги", "Категорія пільги"),
        "date_from": ("Дата з",),
        "date_to": ("Дата по",),
        "entitled": ("Кількість осіб", "Осіб"),
        "certificate": ("Посвідчення",),
    },
    "subsidies": {
        "account_number": ("Особовий рахунок", "О/р"),
        "period": ("Період",),
        "amount": ("Сума",),
        "service_code": ("Код послуги", "Послуга"),
    },
    "balances": {
        "account_number": ("Особовий рахунок", "О/р"),
        "service_code": ("Код послуги", "Послуга"),
        "amount": ("Сума", "Сальдо"),
        "debt_since": ("Заборгованість з",),
    },
}

# The column the import adds to a file of rejected rows (the reason of each row): read back
# without a warning when the fixed file is imported again.
REASON_HEADER = "Причина відхилення"

_SPACES = re.compile(r"[\s\-_]+")
_APOSTROPHES = str.maketrans({"'": "ʼ", "’": "ʼ", "`": "ʼ", "ʹ": "ʼ"})


def normalise(value) -> str:
    """``" Особовий  рахунок "`` → ``особовий_рахунок``, ``" Account Number "`` →
    ``account_number``: case, surrounding spaces (and quotes, a BOM) ignored, inner spaces,
    dashes and underscores read as one ``_``, every apostrophe as ``ʼ``."""
    if value is None:
        return ""
    text = str(value).replace("\ufeff", "").strip().strip('"').strip()
    return _SPACES.sub("_", text.translate(_APOSTROPHES)).lower()


def title(kind: str, code: str) -> str:
    """The Ukrainian header of a column, as the templates show it."""
    return HEADERS[kind][code][0]


def lookup(kind: str) -> dict[str, str]:
    """{normalised header: column code} of a kind: every code and every Ukrainian header."""
    found = {}
    for code, names in HEADERS[kind].items():
        found[normalise(code)] = code
        for name in names:
            found.setdefault(normalise(name), code)
    return found
