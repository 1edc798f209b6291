"""What every PDF document of Oblik shares (ReportLab): the fonts, the page, money and dates
as a Ukrainian reader writes them, the table style.

* **Fonts**: DejaVu Sans, regular and bold (``app/fonts``, licence beside them), registered
  once per process and embedded in every file (ReportLab embeds the subset of the glyphs a
  document uses) — the 14 standard PDF fonts have no Cyrillic, let alone і, ї, є, ґ and ʼ.
* **Page**: A4 portrait, 15 mm margins; the footer names the document and «сторінка N з M».
* **Money**: ``10 682,50`` — a decimal comma and a thin space (U+2009) between thousands,
  a hyphen-minus for a negative amount (what a spreadsheet reads back when copied).
"""
from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import SimpleDocTemplate, TableStyle

from ...billing.money import round_money

FONTS_DIR = Path(__file__).resolve().parent.parent.parent / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
THIN_SPACE = "\u2009"
PAGE_SIZE = A4
MARGIN = 15 * mm
GRID = colors.HexColor("#808080")
HEADER_FILL = colors.HexColor("#E6E6E6")
TOTAL_FILL = colors.HexColor("#F2F2F2")

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold, one family) with ReportLab, once."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
        _registered = True


# -- texts -----------------------------------------------------------------------------------

def money_text(value, thousands: str = THIN_SPACE) -> str:
    """``Decimal("-10682.5")`` → ``-10 682,50`` (thin space between thousands); None → ``""``."""
    if value is None:
        return ""
    amount = round_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    sign = "-" if amount < 0 else ""
    whole, frac = format(abs(amount), "f").split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{thousands.join(groups)},{frac}"


def price_text(value) -> str:
    """A tariff on a document: ``38,50``, ``7,95689`` (never rounded to kopiyky); None → ``""``."""
    from ...billing.money import price_digits

    return "" if value is None else price_digits(value).replace(".", ",")


def date_text(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def escape(text) -> str:
    """A text for a :class:`Paragraph` (its mini-markup: ``&``, ``<``, ``>``)."""
    return (str(text or "")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- styles ----------------------------------------------------------------------------------

def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("normal", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "normal": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "bold": ParagraphStyle("bold", parent=base, fontName=FONT_BOLD),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=14, leading=18,
                                alignment=TA_CENTER, spaceBefore=4 * mm, spaceAfter=1 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=13, alignment=TA_CENTER,
                                   spaceAfter=4 * mm),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9),
        "header": ParagraphStyle("header", parent=base, fontName=FONT_BOLD, fontSize=6.5, leading=8,
                                 alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def table_style(header_rows: int = 1, numeric_from: int | None = None, total_row: bool = False,
                font_size: float = 7.5) -> TableStyle:
    """A grid with a grey header (repeated on each page by ``Table(repeatRows=…)``), the numeric
    columns from ``numeric_from`` on aligned right, the last row bold on grey when ``total_row``."""
    register_fonts()
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, font_size),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        commands += [("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
                     ("FONT", (0, 0), (-1, header_rows - 1), FONT_BOLD, font_size),
                     ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER"),
                     ("LEFTPADDING", (0, 0), (-1, header_rows - 1), 2),
                     ("RIGHTPADDING", (0, 0), (-1, header_rows - 1), 2)]
    if numeric_from is not None:
        commands.append(("ALIGN", (numeric_from, header_rows), (-1, -1), "RIGHT"))
    if total_row:
        commands += [("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL), ("FONT", (0, -1), (-1, -1), FONT_BOLD, font_size)]
    return TableStyle(commands)


def fitting_size(texts, width: float, size: float = 7.5, padding: float = 6) -> float:
    """The font size (at most ``size``) at which the widest of ``texts`` fits a column of
    ``width`` points — so that a million in a narrow money column shrinks instead of spilling over."""
    register_fonts()
    widest = max((pdfmetrics.stringWidth(t, FONT_BOLD, size) for t in texts), default=0)
    return size if widest <= width - padding else max(5.0, size * (width - padding) / widest)


# -- the page --------------------------------------------------------------------------------

def content_width() -> float:
    return PAGE_SIZE[0] - 2 * MARGIN


def _numbered_canvas(footer: str, page_label):
    """A canvas that writes ``footer`` and «page N of M» at the foot of every page (M known
    only at the end: the pages are kept and drawn when the document is saved)."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, 9 * mm, footer)
                self.drawRightString(PAGE_SIZE[0] - MARGIN, 9 * mm, page_label(self._pageNumber, total))
                super().showPage()
            super().save()

    return NumberedCanvas


def build(story, *, title: str, footer: str, page_label, author: str = "", subject: str = "") -> bytes:
    """The document of ``story`` (ReportLab flowables) as PDF bytes. ``page_label(n, total)``
    gives the page's label (translated by the caller)."""
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=title, author=author, subject=subject,
                            creator="Oblik",
                            # not Helvetica (no Cyrillic, not embedded): every page starts in DejaVu Sans
                            initialFontName=FONT, initialFontSize=9)
    doc.build(list(story), canvasmaker=_numbered_canvas(footer, page_label))
    return buffer.getvalue()
