"""Reading an import file into rows — CSV or XLSX, as files really come — and refusing the
hostile ones before anything is parsed.

CSV: UTF-8 with or without BOM, or Windows-1251 (detected); ``,`` or ``;`` (detected from
the header line). XLSX: the first sheet, read with openpyxl in read-only mode after the zip
container has been checked (entry count, uncompressed sizes and compression ratios — a zip
bomb is refused before openpyxl inflates anything); a formula cell is read as its formula
(:class:`Formula`), never as the value Excel cached for it, and the import refuses it. An encrypted (password-protected) XLSX is
an OLE compound file, not a zip: refused with a hint. Limits come from the settings
(``OBLIK_IMPORT_*``, see :class:`Limits`).
"""
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .errors import FileRefused

MB = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# C0 controls except TAB, LF and CR; DEL; C1 controls. None belongs in a text table.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# How an XLSX cell stores a control character (``_x0007_``): openpyxl's read-only mode keeps it.
XLSX_CONTROL_RE = re.compile(r"_x00(?:0[0-8BbCcEeFf]|1[0-9A-Fa-f]|7[Ff])_")


class Formula(str):
    """An XLSX cell that holds a formula, as its text (``=A1*2``). The value Excel cached for it
    may be stale or forged (a file written by a script carries whatever cached value it likes),
    so the import never takes it: the row is rejected, naming the row and the column."""


@dataclass(frozen=True)
class Limits:
    """The guards against hostile files (settings ``OBLIK_IMPORT_MAX_MB`` …)."""

    max_bytes: int = 50 * MB
    max_rows: int = 1_000_000
    max_line: int = 65_536               # characters in one CSV line
    max_columns: int = 200
    max_unzipped: int = 1024 * MB        # all XLSX parts together, uncompressed
    max_ratio: int = 200                 # uncompressed / compressed size of one XLSX part
    max_zip_entries: int = 10_000

    @classmethod
    def from_settings(cls, get) -> "Limits":
        """``get(name, default)`` reads a setting (app.config, then the environment)."""
        return cls(
            max_bytes=int(float(get("OBLIK_IMPORT_MAX_MB", 50)) * MB),
            max_rows=int(get("OBLIK_IMPORT_MAX_ROWS", 1_000_000)),
            max_line=int(get("OBLIK_IMPORT_MAX_LINE", 65_536)),
            max_unzipped=int(float(get("OBLIK_IMPORT_MAX_UNZIPPED_MB", 1024)) * MB),
        )


@dataclass
class Table:
    """The rows of a file: ``headers`` as written, ``rows`` as (row number, cells) — the row
    number as the file shows it (the header is usually row 1); blank rows are left out."""

    headers: list
    rows: list = field(default_factory=list)
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list = field(default_factory=list)


def read_table(data: bytes, file_name: str, limits: Limits) -> Table:
    """The rows of ``data``, or :class:`FileRefused` with the reason."""
    if not data:
        raise FileRefused(_("The file is empty"), "empty")
    if len(data) > limits.max_bytes:
        raise FileRefused(_("The file is too large: %(size)s MB, at most %(limit)s MB",
                            size=_mb(len(data)), limit=_mb(limits.max_bytes)), "too_large")
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data, limits)
    if data.startswith(OLE_MAGIC):
        raise FileRefused(_("This is a password-protected workbook or an old Excel 97–2003 (.xls) file: "
                            "save it as .xlsx without a password, or as CSV"), "encrypted")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(_("The file is in UTF-16 (Excel's «Unicode text»): save it as CSV UTF-8 "
                            "or as .xlsx"), "encoding")
    return read_csv(data, limits)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".replace(".", ",")


# --- CSV -------------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else Windows-1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise FileRefused(_("The file starts as UTF-8 but is not valid UTF-8"), "encoding")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise FileRefused(_("Not a CSV or XLSX file: the text is neither UTF-8 nor Windows-1251"), "not_a_table")


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def detect_delimiter(header_line: str) -> str:
    """``;`` or ``,`` — whichever separates more cells of the header (outside quotes)."""
    counts = {";": 0, ",": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] >= counts[","] and counts[";"] else ","


def read_csv(data: bytes, limits: Limits) -> Table:
    text, encoding = decode(data)
    bad = CONTROL_RE.search(text)
    if bad:
        raise FileRefused(_("Not a CSV or XLSX file: line %(line)s contains a control character (code %(code)s)",
                            line=_line_of(text, bad.start()), code=ord(bad.group())), "control_characters")
    long_line = re.search(r"[^\r\n]{%d}" % (limits.max_line + 1), text)
    if long_line:
        raise FileRefused(_("Line %(line)s is too long: at most %(limit)s characters",
                            line=_line_of(text, long_line.start()), limit=limits.max_line), "line_too_long")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise FileRefused(_("The file is empty"), "empty")
    delimiter = detect_delimiter(first)
    csv.field_size_limit(max(limits.max_line, 1024))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    table = Table(headers=[], file_format="csv", encoding=encoding, delimiter=delimiter)
    number = 0
    try:
        for cells in reader:
            number += 1
            if not table.headers:
                if not any(c.strip() for c in cells):
                    continue  # blank lines before the header
                table.headers = cells
                _check_columns(cells, limits)
                continue
            if len(cells) > limits.max_columns:
                raise FileRefused(_("Row %(row)s has too many cells: at most %(limit)s",
                                    row=number, limit=limits.max_columns), "too_many_columns")
            if not "".join(cells).strip():
                continue
            table.rows.append((number, cells))
            if len(table.rows) > limits.max_rows:
                raise FileRefused(_("The file has more than %(limit)s rows", limit=_int(limits.max_rows)), "too_many_rows")
    except csv.Error as e:
        raise FileRefused(_("The CSV file is damaged near line %(line)s: %(error)s",
                            line=reader.line_num, error=str(e)), "unreadable")
    return table


def _check_columns(headers, limits):
    if len(headers) > limits.max_columns:
        raise FileRefused(_("The header has too many columns: at most %(limit)s", limit=limits.max_columns),
                          "too_many_columns")


def _int(value: int) -> str:
    return f"{value:,}".replace(",", " ")


# --- XLSX ------------------------------------------------------------------------------------

def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a damaged workbook or a zip bomb before any part is inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise FileRefused(_("The XLSX file is damaged or incomplete (was the upload or the download cut short?)"),
                          "damaged")
    if len(entries) > limits.max_zip_entries:
        raise FileRefused(_("The XLSX file has too many parts: it is not a workbook"), "zip_bomb")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(_("Not a CSV or XLSX file: the archive is not an Excel workbook"), "not_a_table")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRefused(_("The XLSX file is encrypted: save it without a password"), "encrypted")
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > limits.max_ratio and entry.file_size > MB:
            raise FileRefused(_("The XLSX file unpacks to far more than its size (a «zip bomb»): refused"),
                              "zip_bomb")
        if total > limits.max_unzipped:
            raise FileRefused(_("The XLSX file unpacks to more than %(limit)s MB: refused",
                                limit=_mb(limits.max_unzipped)), "zip_bomb")
    for entry in entries:
        if entry.filename.endswith(".xml") or entry.filename.endswith(".rels"):
            try:
                with archive.open(entry) as part:
                    head = part.read(4096)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
                raise FileRefused(_("The XLSX file is damaged or incomplete (was the upload or the download cut short?)"),
                                  "damaged")
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRefused(_("The XLSX file contains XML entity declarations: refused"), "unsafe_xml")


def read_xlsx(data: bytes, limits: Limits) -> Table:
    check_zip(data, limits)
    import openpyxl

    try:
        # data_only=False: a formula cell reads as its formula, not as its cached value
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many kinds of errors on damaged parts
        raise FileRefused(_("The XLSX file cannot be read: %(error)s", error=_short(e)), "damaged")
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The workbook has no sheets"), "empty")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # do not trust the declared size: read the rows that exist
        table = Table(headers=[], file_format="xlsx")
        width = None
        if _has_formulas(data):  # cells, to tell a formula from a text (slower)
            rows = ([c.value if c.data_type != "f" else _formula(c) for c in cells] for cells in sheet.iter_rows())
        else:                    # no formula anywhere: the values alone, as fast as openpyxl reads
            rows = sheet.iter_rows(values_only=True)
        for number, cells in enumerate(rows, start=1):
            if not table.headers:
                if not any(_filled(c) for c in cells):
                    continue
                headers = list(cells)
                while headers and not _filled(headers[-1]):
                    headers.pop()
                _check_columns(headers, limits)
                table.headers = ["" if h is None else str(h) for h in headers]
                width = len(headers)
                continue
            if not any(_filled(c) for c in cells):
                continue
            row = list(cells)
            if len(row) > width and any(_filled(c) for c in row[width:]):
                table.warnings.append(_("Row %(row)s has cells to the right of the header: they are ignored",
                                        row=number))
            table.rows.append((number, row[:width]))
            if len(table.rows) > limits.max_rows:
                raise FileRefused(_("The file has more than %(limit)s rows", limit=_int(limits.max_rows)), "too_many_rows")
    except FileRefused:
        raise
    except Exception as e:
        raise FileRefused(_("The XLSX file cannot be read: %(error)s", error=_short(e)), "damaged")
    finally:
        workbook.close()
    if not table.headers:
        raise FileRefused(_("The file is empty"), "empty")
    return table


# a formula element of a worksheet (<f>, <f t="shared" …/>, <x:f>); never <font>, <formula1>
FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the (already checked) workbook holds a formula: read in chunks."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    for entry in archive.infolist():
        if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
            with archive.open(entry) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-32:]
    return False


def _formula(cell) -> Formula:
    value = cell.value
    return Formula(getattr(value, "text", None) or str(value))  # an array formula keeps its text in .text


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _short(error) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]
