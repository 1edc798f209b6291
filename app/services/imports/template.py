"""The templates of a kind, XLSX and CSV: its Ukrainian headers (:mod:`.headers`) and one example
row — in the XLSX on the first sheet (the sheet an import reads), with a second sheet telling
what each column means, in the user's language, and the English code the import accepts as well.
The CSV is for Ukrainian Excel: ``;``, UTF-8 with a BOM, a decimal comma, dates ``дд.мм.рррр``."""
from datetime import date

from flask_babel import gettext as _

from ..spreadsheets import csv_bytes, xlsx_bytes
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
    if type_ == "bool":
        return _("так or ні (yes/no, 1/0)")
    if type_ == "decimal":
        return _("number, up to %(places)s decimal places (a comma or a point)", places=scale)
    if size:
        return _("text, up to %(size)s characters", size=size)
    return _("text")


def build_template(kind: Kind) -> bytes:
    """Written by the one safe writer (``app/services/spreadsheets.py``)."""
    return xlsx_bytes(lambda book: _fill(book, kind))


def _fill(book, kind: Kind) -> None:
    bold = book.format(bold=True, bg_color="#DDEBF7", border=1)
    key = book.format(bold=True, bg_color="#FCE4D6", border=1)
    day = book.format(num_format="dd.mm.yyyy")
    wrap = book.format(text_wrap=True, valign="top")
    data = book.sheet(kind.name)
    for position, col in enumerate(kind.columns):
        title = kind.titles[col.name]
        data.write(0, position, title, key if col.key else bold)
        data.set_column(position, position, max(14, len(title) + 2))
        example = col.example
        if example not in (None, ""):
            # a date as a date cell, a number as a number (a template cell, not money: Excel stores doubles)
            data.write(1, position, example, day if isinstance(example, date) else None)
    data.freeze_panes(1, 0)

    about = book.sheet(_("Columns"))
    about.set_column(0, 0, 30)
    about.set_column(1, 1, 22)
    about.set_column(2, 2, 10)
    about.set_column(3, 3, 40)
    about.set_column(4, 4, 60)
    about.write(0, 0, str(kind.label), bold)
    about.write(1, 0, str(kind.help))
    about.write(2, 0, _("CSV (UTF-8 or Windows-1251, separated by «,» or «;») or XLSX (the first sheet). "
                        "The first row holds the column names, in any order; unknown columns are ignored. "
                        "Rows are matched by their key: a known key updates the record, a new one creates it."))
    about.write(3, 0, _("A column may be named by its Ukrainian header or by its code (any case)."))
    for position, title in enumerate((_("Column"), _("Code"), _("Key"), _("Format"), _("Meaning"))):
        about.write(4, position, title, bold)
    for line, col in enumerate(kind.columns, start=5):
        about.write(line, 0, kind.titles[col.name])
        about.write(line, 1, col.name)
        about.write(line, 2, _("yes") if col.key else "")
        about.write(line, 3, column_format(kind, col), wrap)
        about.write(line, 4, str(col.help), wrap)
    if kind.facts_only:
        about.write(len(kind.columns) + 6, 0, _("These are facts: an import never changes them. The same key "
                                                "with other data is a rejected row."))


def build_csv_template(kind: Kind) -> bytes:
    """The CSV template for Ukrainian Excel: ``;``, UTF-8 with a BOM (so Excel reads the Cyrillic
    headers), the Ukrainian headers and the example row — a decimal comma, a date ``дд.мм.рррр``."""
    example = []
    for col in kind.columns:
        value = col.example
        if isinstance(value, date):
            value = value.strftime("%d.%m.%Y")
        example.append(value)
    return csv_bytes([[kind.titles[c.name] for c in kind.columns], example], delimiter=";", bom=True,
                     lineterminator="\r\n", decimal=",")
