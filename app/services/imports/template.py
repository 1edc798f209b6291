"""The XLSX template of a kind: its headers and one example row on the first sheet (the sheet an
import reads), and on the second sheet what each column means, in the user's language."""
from datetime import date

from flask_babel import gettext as _

from ..spreadsheets import xlsx_bytes
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
        data.write(0, position, col.name, key if col.key else bold)
        data.set_column(position, position, max(14, len(col.name) + 2))
        example = col.example
        if example not in (None, ""):
            # a date as a date cell, a number as a number (a template cell, not money: Excel stores doubles)
            data.write(1, position, example, day if isinstance(example, date) else None)
    data.freeze_panes(1, 0)

    about = book.sheet(_("Columns"))
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 10)
    about.set_column(2, 2, 40)
    about.set_column(3, 3, 60)
    about.write(0, 0, str(kind.label), bold)
    about.write(1, 0, str(kind.help))
    about.write(2, 0, _("CSV (UTF-8 or Windows-1251, separated by «,» or «;») or XLSX (the first sheet). "
                        "The first row holds the column names, in any order; unknown columns are ignored. "
                        "Rows are matched by their key: a known key updates the record, a new one creates it."))
    for position, title in enumerate((_("Column"), _("Key"), _("Format"), _("Meaning"))):
        about.write(4, position, title, bold)
    for line, col in enumerate(kind.columns, start=5):
        about.write(line, 0, col.name)
        about.write(line, 1, _("yes") if col.key else "")
        about.write(line, 2, column_format(kind, col), wrap)
        about.write(line, 3, str(col.help), wrap)
    if kind.facts_only:
        about.write(len(kind.columns) + 6, 0, _("These are facts: an import never changes them. The same key "
                                                "with other data is a rejected row."))
