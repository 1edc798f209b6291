"""The XLSX template of a kind: its headers and one example row on the first sheet (the sheet an
import reads), and on the second sheet what each column means, in the user's language."""
import io
from datetime import date
from decimal import Decimal

import xlsxwriter
from flask_babel import gettext as _

from .kinds import Kind


def column_format(kind: Kind, col) -> str:
    if col.field is None:
        ref = next((r for r in kind.refs if col.name in r.columns), None)
        if ref is not None:
            return _("a code that already exists in the database")
        return ""
    type_, size, scale = kind.column_type(col)
    if type_ == "choice":
        return _("one of: %(codes)s", codes=", ".join(col.choices.codes))
    if type_ == "period":
        return _("month, YYYY-MM")
    if type_ == "date":
        return _("date, дд.мм.рррр or YYYY-MM-DD")
    if type_ == "int":
        return _("whole number")
    if type_ == "decimal":
        return _("number, up to %(places)s decimal places (a comma or a point)", places=scale)
    if size:
        return _("text, up to %(size)s characters", size=size)
    return _("text")


def build_template(kind: Kind) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    key = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    data = book.add_worksheet(kind.name[:31])
    for position, col in enumerate(kind.columns):
        data.write_string(0, position, col.name, key if col.key else bold)
        data.set_column(position, position, max(14, len(col.name) + 2))
        example = col.example
        if isinstance(example, date):
            data.write_datetime(1, position, _as_datetime(example), day)
        elif isinstance(example, (int, Decimal)) and not isinstance(example, bool):
            data.write_number(1, position, float(example))  # a template cell, not money: Excel stores doubles
        elif example not in (None, ""):
            data.write_string(1, position, str(example))
    data.freeze_panes(1, 0)

    about = book.add_worksheet(_("Columns")[:31])
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 10)
    about.set_column(2, 2, 40)
    about.set_column(3, 3, 60)
    about.write_string(0, 0, str(kind.label), bold)
    about.write_string(1, 0, str(kind.help))
    about.write_string(2, 0, _("CSV (UTF-8 or Windows-1251, separated by «,» or «;») or XLSX (the first sheet). "
                               "The first row holds the column names, in any order; unknown columns are ignored. "
                               "Rows are matched by their key: a known key updates the record, a new one creates it."))
    for position, title in enumerate((_("Column"), _("Key"), _("Format"), _("Meaning"))):
        about.write_string(4, position, title, bold)
    for line, col in enumerate(kind.columns, start=5):
        about.write_string(line, 0, col.name)
        about.write_string(line, 1, _("yes") if col.key else "")
        about.write_string(line, 2, column_format(kind, col), wrap)
        about.write_string(line, 3, str(col.help), wrap)
    if kind.facts_only:
        about.write_string(len(kind.columns) + 6, 0, _("These are facts: an import never changes them. The same key "
                                                       "with other data is a rejected row."))
    book.close()
    return buffer.getvalue()


def _as_datetime(day: date):
    from datetime import datetime

    return datetime(day.year, day.month, day.day)
