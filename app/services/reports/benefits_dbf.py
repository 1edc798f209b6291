"""The form «2-пільга» exchange file for the social protection body: a dBase III table, one record
per beneficiary, account, service and month (the lines of :func:`.benefits.benefit_lines`),
written with the ``dbf`` library in the code page of the setting ``benefits.dbf_codepage``
(866: cp866, the DOS code page the exchange programs read, language driver 0x26; 1251: cp1251,
language driver 0xC9).

cp866 has no Ukrainian «І і Ґ ґ»: they are written as the Latin «I i» and «Г г» (what the DOS
programs of social protection do); «Є є Ї ї» are in cp866 and stay. The field widths are in
:data:`FIELDS` and docs/reports.md.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal

import dbf
from sqlalchemy import select

from ...billing.periods import last_day
from ...models import Organisation
from . import ReportError

CODEPAGE_KEY = "benefits.dbf_codepage"
CODEPAGES = {866: "cp866", 1251: "cp1251"}
CP866_MISSING = str.maketrans({"І": "I", "і": "i", "Ґ": "Г", "ґ": "г"})

# name, dBase type (width, decimals): the order of the exchange file
FIELDS = (
    ("CDPR", "N(12,0)"),     # ЄДРПОУ of the provider
    ("IDCODE", "C(10)"),     # РНОКПП of the beneficiary
    ("FIO", "C(50)"),        # full name
    ("PPOS", "C(15)"),       # passport series and number: not kept by Oblik, empty
    ("RS", "C(25)"),         # personal account number
    ("YEARIN", "N(4,0)"),    # year of the month the benefit concerns
    ("MONTHIN", "N(2,0)"),   # its month
    ("LGCODE", "C(10)"),     # service code
    ("DATA1", "D"),          # first day the benefit was valid in the month
    ("DATA2", "D"),          # last day
    ("LGKOL", "N(2,0)"),     # persons using the benefit (the beneficiary and entitled family)
    ("LGKAT", "C(10)"),      # benefit category code
    ("LGPRC", "N(6,2)"),     # discount, %
    ("SUMM", "N(10,2)"),     # benefit amount, UAH, positive
    ("FACT", "N(14,4)"),     # volume within the social norm the benefit was computed on
    ("TARIF", "N(12,4)"),    # the service's price
    ("FLAG", "N(1,0)"),      # 0: the month's benefit; 1: a line of an earlier month
)
SPEC = "; ".join(f"{name} {kind}" for name, kind in FIELDS)


def codepage(session, period: str) -> str:
    """The code page the setting names on the period's last day (866 by default)."""
    from ..reminders import setting_value

    value = setting_value(session, CODEPAGE_KEY, last_day(period))
    try:
        return CODEPAGES[int(value)]
    except (KeyError, ValueError):
        raise ReportError(str(_codepage_error(value)), "format") from None


def _codepage_error(value):
    from flask_babel import gettext as _

    return _("The setting %(key)s is %(value)s: the benefits file is written in code page 866 or 1251",
             key=CODEPAGE_KEY, value=value)


def _text(value: str, width: int, page: str) -> str:
    value = (value or "").strip()
    if page == "cp866":
        value = value.translate(CP866_MISSING)
    return value.encode(page, errors="replace").decode(page)[:width]


def _edrpou(session) -> int:
    code = session.scalar(select(Organisation.edrpou).order_by(Organisation.id).limit(1)) or ""
    return int(code) if code.isdigit() else 0


def records(session, filters, page: str) -> list[tuple]:
    """The exchange file's records, in the order of :data:`FIELDS`."""
    from .benefits import benefit_lines

    cdpr = _edrpou(session)
    result = []
    for b in benefit_lines(session, filters):
        year, month = (int(part) for part in b.target_period.split("-"))
        result.append((
            cdpr, _text(b.rnokpp, 10, page), _text(b.full_name, 50, page), "", _text(b.account_number, 25, page),
            year, month, _text(b.service_code, 10, page), b.date_from, b.date_to, min(b.persons, 99),
            _text(b.category_code, 10, page), b.pct, -b.amount, b.quantity,
            b.tariff if b.tariff is not None else Decimal("0"), 0 if b.target_period == filters.period else 1,
        ))
    return result


def write_dbf(session, filters, stream) -> int:
    """Write the exchange file of ``filters.period`` to a binary stream; returns the records."""
    page = codepage(session, filters.period)
    rows = records(session, filters, page)
    folder = tempfile.mkdtemp(prefix="oblik-dbf-")
    path = os.path.join(folder, "benefits.dbf")
    try:
        table = dbf.Table(path, SPEC, codepage=page, dbf_type="db3")
        table.open(dbf.READ_WRITE)
        try:
            for row in rows:
                table.append(row)  # Decimal into N fields: no float on the way
        finally:
            table.close()
        with open(path, "rb") as source:
            shutil.copyfileobj(source, stream)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return len(rows)
