"""The invoice page (ReportLab's canvas, drawn directly: the platypus layout engine is several
times slower and an invoice's layout is fixed). One A4 page per account — a second one only
when the services table does not fit — black on white with grey rules (readable printed in
black and white), DejaVu Sans embedded (:mod:`app.services.documents.pdf`).

Top to bottom: the provider and the title; the account; the services table (readings or the
volume's source, volume, tariff, charged, recalculation, benefit, subsidy, total) with the
recalculation lines and the month each concerns; the money (opening debt or advance,
payments with dates, charged, amount due, pay-by date) beside the QR code; the house meters
and the imbalance share beside the consumption bar chart (this month and the same month a
year before, Закон № 2119-VIII, ст. 8); the notice. The texts are translated once per
document (:func:`labels`), the QR drawn as one path of filled rectangles.
"""
from __future__ import annotations

import io
import zlib
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, makeToUnicodeCMap
from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfgen import canvas

from ...billing.money import trim
from ...billing.periods import first_day
from ...models.choices import RESOURCES
from ..documents.pdf import FONT, FONT_BOLD, date_text, money_text, price_text, register_fonts
from ..language import current_language
from . import qr as nbu
from .data import Invoice, ServiceLine

W, H = A4
M = 11 * mm  # margin
RIGHT = W - M
BOTTOM = 12 * mm
GREY = 0.45
LIGHT = 0.88
ZERO = Decimal("0")


@lru_cache(maxsize=8)
def _face(font: str):
    return getFont(font)


# Every document's font subsets start with the same characters — the Ukrainian alphabet,
# Latin, digits and the page's signs — so that the subset (the glyphs embedded) is the same
# from one invoice to the next and its deflated font program is made once per process
# (:func:`_cache_subsets`): without that, subsetting and compressing DejaVu twice was half the
# time of a one-page file.
SEED = ("".join(chr(c) for c in range(32, 127)) + "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяʼ’«»–—№₴→…·²³ЁЪЫЭёъыэ ")


SEEDED = frozenset(SEED)
_TABLES: dict[tuple[str, str], dict[int, str]] = {}


def _table(font: str, name: str, doc) -> dict[int, str]:
    """{character: its escaped code} of the seeded characters, read from a seeded document."""
    face = _face(font)
    table = {}
    for ch in SEED:
        (subset, chunk), = face.splitString(ch, doc)
        if subset != 0:
            raise RuntimeError(f"the seed of {font} does not fit one subset")
        table[ord(ch)] = escapePDF(chunk)
    _TABLES[(font, name)] = table
    return table


class _Deflated:
    """A stream filter for content deflated already (the cached font programs)."""

    pdfname = "FlateDecode"

    def encode(self, data):
        return data

    def decode(self, data):
        return zlib.decompress(data)


DEFLATED = _Deflated()


def _cache_subsets(face) -> None:
    """Make ``face`` keep the deflated program of each subset it made (by its characters) —
    the same objects ReportLab's ``TTFontFace.addSubsetObjects`` writes, made once."""
    if getattr(face, "_oblik_cached", False):
        return
    cache: dict[tuple, tuple[int, bytes]] = {}

    def add_subset_objects(doc, fontname, subset):
        key = tuple(subset)
        entry = cache.get(key)
        if entry is None:
            program = face.makeSubset(subset)
            entry = (len(program), zlib.compress(program))
            if len(cache) > 64:
                cache.clear()
            cache[key] = entry
        font_file = pdfdoc.PDFStream()
        font_file.content = entry[1]
        font_file.dictionary["Length1"] = entry[0]
        font_file.filters = [DEFLATED]
        ref = doc.Reference(font_file, f"fontFile:{face.filename}({fontname})")
        flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight, "Descent": face.descent,
            "Flags": flags, "FontBBox": pdfdoc.PDFArray(face.bbox), "FontName": pdfdoc.PDFName(fontname),
            "ItalicAngle": face.italicAngle, "StemV": face.stemV, "FontFile2": ref,
            "MissingWidth": face.defaultWidth})
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)

    face.addSubsetObjects = add_subset_objects
    face._oblik_cached = True


class _Raw(pdfdoc.PDFObject):
    """A PDF value formatted once (a subset's widths)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


def _cache_font_objects(font) -> None:
    """``font`` (a TTFont) writes each subset's widths and ToUnicode map from a cache: the same
    objects as ReportLab's ``TTFont.addObjects``, formatted once per subset."""
    if getattr(font, "_oblik_cached", False):
        return
    cache: dict[tuple, tuple[bytes, bytes]] = {}

    def add_objects(doc):
        state = font.state.get(doc)
        if state is None:  # the font was not used in this document
            return
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal = font.getSubsetInternalName(n, doc)[1:]
            base = (b"".join((SUBSETN(n), b"+", font.face.name, font.face.subfontNameX))).decode("pdfdoc")
            key = (base, tuple(subset))
            entry = cache.get(key)
            if entry is None:
                widths = " ".join(fp_str(w) for w in map(font.face.getCharWidth, subset))
                entry = (f"[ {widths} ]".encode("latin-1"), zlib.compress(makeToUnicodeCMap(base, subset).encode()))
                if len(cache) > 64:
                    cache.clear()
                cache[key] = entry
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {font.fontName} subset {n}"
            pdf_font.Name = internal
            pdf_font.BaseFont = base
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Raw(entry[0])
            cmap = pdfdoc.PDFStream()
            cmap.content = entry[1]
            cmap.filters = [DEFLATED]
            pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base)
            pdf_font.FontDescriptor = font.face.addSubsetObjects(doc, base, subset)
            doc.Reference(pdf_font, internal)
            doc.idToObject["BasicFonts"].dict[internal] = pdf_font
        del font.state[doc]

    font.addObjects = add_objects
    font._oblik_cached = True


@lru_cache(maxsize=512)
def _bitmap(url: str):
    """The symbol, kept for a building's pages: its file draws them again."""
    return nbu.bitmap(url)


@lru_cache(maxsize=4096)
def _split(s: str, font: str, size: float, w: float) -> list[str]:
    return simpleSplit(s, font, size, w) or [""]


@lru_cache(maxsize=8192)
def width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def qty(value) -> str:
    """A quantity as a Ukrainian reads it: ``13,5``, ``0``, ``1 013,5``."""
    if value is None:
        return ""
    value = trim(value)
    if value == 0:
        return "0"
    text = format(value, "f")
    whole, _sep, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + "\u2009".join(groups) + ("," + frac if frac else "")


def signed(value: Decimal) -> str:
    """A table amount: empty for zero."""
    return money_text(value) if value else ""


def labels() -> dict[str, str]:
    """Every text of the page in the user's language (translated once per process and language)."""
    return dict(_labels(current_language()))


@lru_cache(maxsize=8)
def _labels(_locale: str) -> dict[str, str]:
    return {
        "title": _("INVOICE"), "for": _("for"), "account": _("Personal account"),
        "preliminary": _("Preliminary calculation"), "preliminary_note": _("the period is not closed; the amounts may change"),
        "edrpou": _("EDRPOU"), "iban": _("IBAN"), "bank": _("Bank"), "address": _("Address"), "phone": _("Phone"),
        "email": _("E-mail"), "hours": _("Working hours"), "owner": _("Owner"),
        "persons": _("Registered persons"), "total_area": _("Total area, m²"), "heated_area": _("Heated area, m²"),
        "period": _("Period"), "service": _("Service"), "unit": _("Unit (abbr.)"), "readings": _("Readings / volume source"),
        "volume": _("Volume"), "tariff": _("Tariff, UAH"), "charged": _("Charged"), "recalc": _("Recalculation"),
        "benefit": _("Benefit"), "subsidy": _("Subsidy"), "total": _("Total"),
        "imbalance": _("imbalance share"), "recalc_for": _("recalculation for %(month)s"),
        "total_row": _("Total for the month"), "money": _("Payments"), "opening_debt": _("Debt at the start of the month"),
        "opening_advance": _("Advance at the start of the month"), "opening_none": _("Balance at the start of the month"),
        "charged_month": _("Charged for the month"), "penalty": _("Penalty"),
        "penalty_days": _("(%(days)s days; the debt and the daily rate)"), "recalculated": _("Recalculation"), "benefits": _("Benefits"),
        "subsidies": _("Subsidies"), "paid": _("Paid in the month"), "paid_on": _("payment of %(day)s"),
        "reversal_on": _("reversal of %(day)s"), "written_off": _("Written off"), "due": _("AMOUNT DUE"),
        "pay_by": _("Pay by %(day)s"), "advance_end": _("Advance (overpayment): nothing to pay"),
        "nothing": _("Nothing to pay"), "uah": _("UAH"), "scan": _("Scan with your banking app to pay"),
        "purpose": _("Purpose of payment"), "recipient": _("Recipient"), "house": _("House meters of the building"),
        "no_house": _("The building has no house meters"), "consumption": _("Consumption: this month and a year ago"),
        "law": _("Law No. 2119-VIII, art. 8"), "no_data": _("no data"), "notice": _("Notices"),
        "issued": _("Issued on %(day)s by Oblik"), "page": _("page %(n)s"), "continued": _("continued"),
        "estimated": _("estimated"), "norm": _("by norm"), "true_up": _("true-up after estimates"),
        "allocation": _("share of the house meter"), "actual": _("by meter"), "mixed": _("several sources"),
        "fixed": _("fixed"), "area": _("by area"), "persons_m": _("by persons"), "one_off": _("one-off"),
        "meters": _("%(n)s meters"), "purpose_text": _("Payment for %(month)s, %(address)s, acc. %(number)s"),
        "tariffs": _("%(n)s tariffs"),
        "instalments": _("Debt restructuring: instalments due (included in the amount due)"),
        "instalment": _("agreement %(number)s, instalment %(seq)s due %(day)s"),
    }


def month_name(period: str) -> str:
    """«листопад 2026» in the user's language."""
    return _month_name(period, current_language())


@lru_cache(maxsize=256)
def _month_name(period: str, _locale: str) -> str:
    return format_date(first_day(period), "LLLL yyyy")


def purpose(inv: Invoice, text: dict, limit: int = 140) -> str:
    """«Оплата за листопад 2026, вул. Енергетиків, 1, кв. 1, о/р E1-001» within ``limit``
    characters (the address shortened first)."""
    month = month_name(inv.period)
    result = text["purpose_text"] % {"month": month, "address": inv.address, "number": inv.account_number}
    if len(result) > limit:
        extra = len(result) - limit
        address = inv.address[:max(0, len(inv.address) - extra - 1)] + "…"
        result = text["purpose_text"] % {"month": month, "address": address, "number": inv.account_number}
    return result[:limit]


def qr_payment(inv: Invoice, text: dict) -> nbu.Payment | None:
    p = inv.provider
    if inv.amount_due <= 0 or not p.iban or not p.edrpou or not p.name:
        return None
    limits = nbu.LIMITS[inv.qr_format]
    return nbu.Payment(recipient=p.name[:limits.recipient], iban=p.iban, amount=inv.amount_due, code=p.edrpou,
                       purpose=purpose(inv, text, limits.purpose))


def prepare(inv: Invoice, text: dict | None = None) -> None:
    """Fill the invoice's QR link and purpose (None where nothing is due or the provider's
    details would make a code a bank refuses)."""
    text = text or labels()
    payment = qr_payment(inv, text)
    inv.qr_purpose = purpose(inv, text, nbu.LIMITS[inv.qr_format].purpose)
    if payment is None:
        inv.qr_url = None
        return
    try:
        inv.qr_url = nbu.link(payment, inv.qr_format)
    except nbu.QrError:
        inv.qr_url = None


class Page:
    """Drawing helpers over one canvas."""

    def __init__(self, c: canvas.Canvas):
        self.c = c
        self._gray = None
        self._names = {}

    def put(self, x, y, s: str, font: str, size: float) -> None:
        """Write ``s`` at (x, y): the text operators straight into the page, the glyphs through
        the font's subsets as ReportLab's own text object does. A text of the seeded characters
        only is translated by a table made once per process: their codes (subset 0) are the
        same in every document."""
        if not s:
            return
        names = self._names
        name = names.get(font)
        if name is None:
            name = names[font] = _face(font).getSubsetInternalName(0, self.c._doc)
        if SEEDED.issuperset(s):
            table = _TABLES.get((font, name)) or _table(font, name, self.c._doc)
            self.c._code.append(f"BT {x:.2f} {y:.2f} Td {name} {size:.2f} Tf ({s.translate(table)}) Tj ET")
            return
        face = _face(font)
        doc = self.c._doc
        self.c._code.append(f"BT {x:.2f} {y:.2f} Td " + " ".join(
            f"{face.getSubsetInternalName(subset, doc)} {size:.2f} Tf ({escapePDF(chunk)}) Tj"
            for subset, chunk in face.splitString(s, doc)) + " ET")

    def text(self, x, y, s, size=7.0, bold=False, grey=False):
        self.gray(GREY if grey else 0)
        self.put(x, y, s, FONT_BOLD if bold else FONT, size)

    def right(self, x, y, s, size=7.0, bold=False):
        font = FONT_BOLD if bold else FONT
        self.gray(0)
        self.put(x - width(s, font, size), y, s, font, size)

    def centre(self, x, y, s, size=7.0, bold=False):
        font = FONT_BOLD if bold else FONT
        self.put(x - width(s, font, size) / 2, y, s, font, size)

    def gray(self, value: float) -> None:
        """The fill (and text) grey: the operator written only when it changes."""
        if value != self._gray:
            self.c._code.append(f"{value:.2f} g")
            self._gray = value

    def fit(self, s: str, w: float, size: float, bold=False) -> float:
        """The font size at which ``s`` fits ``w`` (at most ``size``)."""
        font = FONT_BOLD if bold else FONT
        full = width(s, font, size)
        return size if full <= w else max(4.5, size * w / full)

    def lines(self, s: str, w: float, size: float, bold=False) -> list[str]:
        return _split(s, FONT_BOLD if bold else FONT, size, w)

    def rule(self, x1, y, x2, gray=GREY, lw=0.4):
        self.c._code.append(f"{gray:.2f} G {lw:.2f} w {x1:.2f} {y:.2f} m {x2:.2f} {y:.2f} l S")

    def box(self, x, y, w, h, fill=None, lw=0.5):
        c = self.c
        c.setLineWidth(lw)
        c.setStrokeGray(GREY)
        if fill is not None:
            self.gray(fill)
        c.rect(x, y, w, h, stroke=1, fill=1 if fill is not None else 0)
        self.gray(0)


# the services table: (key, width in mm, alignment)
COLUMNS = (("service", 37, "l"), ("unit", 9, "c"), ("readings", 49, "l"), ("volume", 13, "r"),
           ("tariff", 13, "r"), ("charged", 15, "r"), ("recalc", 14, "r"), ("benefit", 12, "r"),
           ("subsidy", 13, "r"), ("total", 16, "r"))


def _columns():
    xs = [M]
    for _key, w, _a in COLUMNS:
        xs.append(xs[-1] + w * mm)
    scale = (RIGHT - M) / (xs[-1] - M)
    return [M + (x - M) * scale for x in xs]


XS = _columns()
NAME_SIZE = 6.3


def source_text(line: ServiceLine, text: dict) -> str:
    method = line.method
    if method == "metered":
        if line.source == "actual" and line.previous and line.current:
            return ""
        if line.meters > 1 and line.source == "actual":
            return text["meters"] % {"n": line.meters}
        return text.get(line.source or "", text["norm"] if line.source is None else line.source)
    if method == "group":
        return text["allocation"]
    return {"area": text["area"], "persons": text["persons_m"], "fixed": text["fixed"],
            "one_off": text["one_off"]}.get(method, "")


def draw_header(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    p = inv.provider
    left_w = 105 * mm
    pg.text(M, y - 9, p.name, size=pg.fit(p.name, left_w, 10, bold=True), bold=True)
    rows = []
    if p.edrpou:
        rows.append(f"{text['edrpou']}: {p.edrpou}")
    if p.iban:
        rows.append(f"{text['iban']}: {p.iban}" + (f", {p.bank_name}" if p.bank_name else ""))
    if p.address:
        rows.append(f"{text['address']}: {p.address}")
    contact = ", ".join(s for s in (f"{text['phone']}: {p.phone}" if p.phone else "",
                                    f"{text['email']}: {p.email}" if p.email else "", p.website) if s)
    if contact:
        rows.append(contact)
    if p.working_hours:
        rows.append(f"{text['hours']}: {p.working_hours}")
    yy = y - 19
    for row in rows:
        for part in pg.lines(row, left_w, 6.8)[:2]:
            pg.text(M, yy, part, size=6.8)
            yy -= 8.2
    # title on the right
    x = RIGHT
    pg.right(x, y - 11, text["title"], size=14, bold=True)
    pg.right(x, y - 23, f"{text['for']} {month_name(inv.period)}", size=9.5)
    pg.right(x, y - 36, f"{text['account']} № {inv.account_number}", size=10, bold=True)
    bottom = min(yy + 4, y - 42)
    if inv.preliminary:
        c = pg.c
        c.saveState()
        c.setLineWidth(1.2)
        c.setStrokeGray(0)
        sw = width(text["preliminary"].upper(), FONT_BOLD, 9) + 12
        bx = RIGHT - sw
        c.roundRect(bx, y - 58, sw, 15, 3, stroke=1, fill=0)
        pg.text(bx + 6, y - 53, text["preliminary"].upper(), size=9, bold=True)
        c.restoreState()
        pg._gray = None
        pg.right(RIGHT, y - 66, text["preliminary_note"], size=6)
        bottom = min(bottom, y - 70)
    pg.rule(M, bottom, RIGHT, gray=0, lw=0.8)
    return bottom


def draw_account(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    h = 30
    top = y - 4
    pg.box(M, top - h, RIGHT - M, h)
    col = (RIGHT - M) / 2
    pg.text(M + 4, top - 10, f"{text['owner']}:", size=7, grey=True)
    pg.text(M + 34 * mm, top - 10, inv.owner, size=pg.fit(inv.owner, col - 36 * mm, 8.5, bold=True), bold=True)
    pg.text(M + 4, top - 21, f"{text['address']}:", size=7, grey=True)
    pg.text(M + 34 * mm, top - 21, inv.address, size=pg.fit(inv.address, col - 36 * mm, 8.5, bold=True), bold=True)
    x = M + col + 6
    facts = ((text["persons"], str(inv.persons)), (text["total_area"], qty(inv.total_area) or "—"),
             (text["heated_area"], qty(inv.heated_area) or "—"),
             (text["period"], f"{first_day(inv.period).strftime('%d.%m.%Y')}–{date_text(_last(inv.period))}"))
    for i, (label, value) in enumerate(facts):
        xx = x + (i % 2) * (col / 2)
        yy = top - 10 - (i // 2) * 11
        pg.text(xx, yy, f"{label}:", size=6.8, grey=True)
        pg.text(xx + width(f"{label}: ", FONT, 6.8), yy, value, size=7.5, bold=True)
    return top - h


def _short(day) -> str:
    return day.strftime("%d.%m.%y") if day else "—"


def _last(period):
    from ...billing.periods import last_day

    return last_day(period)


def _row_cells(line: ServiceLine, text: dict) -> tuple[list[str], list[str] | None]:
    """The cells of a service's row and its imbalance sub-row."""
    readings = source_text(line, text)
    if not readings and line.previous and line.current:
        readings = (f"{qty(line.previous.value)} ({_short(line.previous.day)}) → "
                    f"{qty(line.current.value)} ({_short(line.current.day)})")
    tariff = price_text(line.tariff)
    if line.tariffs > 1:
        readings = (readings + "; " if readings else "") + text["tariffs"] % {"n": line.tariffs}
    volume = qty(line.volume) if line.volume is not None else ("0" if line.method in ("metered", "group") else "")
    row = [line.name, line.unit, readings, volume, tariff, money_text(line.charge),
           signed(line.recalculated), signed(line.benefit), signed(line.subsidy), money_text(line.total)]
    sub = None
    if line.imbalance or line.imbalance_volume:
        sub = ["", "", f"{text['imbalance']}", qty(line.imbalance_volume), "", money_text(line.imbalance),
               "", "", "", ""]
    return row, sub


def _penalty_cells(line: ServiceLine, text: dict) -> list[str] | None:
    """The sub-row «Пеня» of a service: its days, the debt it ran on and the rate."""
    if not line.penalty:
        return None
    label = text["penalty"]
    if line.penalty_days:
        label += " " + text["penalty_days"] % {"days": line.penalty_days}
    rate = f"{qty(line.penalty_rate)} %" if line.penalty_rate is not None else ""
    base = money_text(line.penalty_base) if line.penalty_base is not None else ""
    return ["", "", label, base, rate, money_text(line.penalty), "", "", "", ""]


def draw_cells(pg: Page, cells, y, size=6.8, bold=False, height=10.5, wrapped=None):
    """A row's cells; ``wrapped``: the first cell's text in two lines (a long service name)."""
    font = FONT_BOLD if bold else FONT
    base = y - height + 3.2
    if wrapped:
        x0 = XS[0] + 2
        pg.put(x0, y - 6.8, wrapped[0], font, NAME_SIZE)
        pg.put(x0, y - 13.4, wrapped[1], font, pg.fit(wrapped[1], XS[1] - XS[0] - 4, NAME_SIZE))
        cells = [""] + list(cells[1:])
        base = y - height / 2 - 2.2
    for i, value in enumerate(cells):
        if not value:
            continue
        x0, x1 = XS[i] + 2, XS[i + 1] - 2
        fs = pg.fit(value, x1 - x0, size, bold)
        align = COLUMNS[i][2]
        if align == "r":
            pg.put(x1 - width(value, font, fs), base, value, font, fs)
        elif align == "c":
            pg.put((x0 + x1 - width(value, font, fs)) / 2, base, value, font, fs)
        else:
            pg.put(x0, base, value, font, fs)


def draw_table_header(pg: Page, text: dict, y: float) -> float:
    h = 17
    c = pg.c
    pg.gray(LIGHT)
    c.setStrokeGray(GREY)
    c.setLineWidth(0.5)
    c.rect(M, y - h, RIGHT - M, h, stroke=1, fill=1)
    pg.gray(0)
    for i, (key, _w, _a) in enumerate(COLUMNS):
        x0, x1 = XS[i] + 1.5, XS[i + 1] - 1.5
        label = text[key]
        parts = pg.lines(label, x1 - x0, 6.3, bold=True)
        if len(parts) > 2:
            parts = [label]
        yy = y - 7 if len(parts) == 2 else y - 10.5
        for part in parts[:2]:
            pg.centre((x0 + x1) / 2, yy, part, size=pg.fit(part, x1 - x0, 6.3, True), bold=True)
            yy -= 7
    return y - h


def draw_services(pg: Page, inv: Invoice, text: dict, y: float, new_page) -> float:
    y = draw_table_header(pg, text, y - 5)
    rows = []
    for line in inv.services:
        row, sub = _row_cells(line, text)
        rows.append(("row", row))
        if sub:
            rows.append(("sub", sub))
        penalty = _penalty_cells(line, text)
        if penalty:
            rows.append(("sub", penalty))
    for item in inv.recalculations:
        label = text["recalc_for"] % {"month": month_name(item.target_period)}
        if item.kind and item.kind != "charge":
            word = text.get(item.kind, item.kind)
            label += f" ({word.lower() if item.kind in ('benefit', 'penalty') else word})"
        rows.append(("recalc", [item.name, "", label, qty(item.quantity) if item.quantity else "", "", "",
                                money_text(item.amount), "", "", ""]))
    c = pg.c
    name_width = XS[1] - XS[0] - 4
    for kind, cells in rows:
        h = 10.5 if kind == "row" else 9
        wrapped = None
        if kind == "row" and width(cells[0], FONT, 6.8) > name_width:
            parts = pg.lines(cells[0], name_width, NAME_SIZE)
            if len(parts) > 1:
                wrapped = (parts[0], " ".join(parts[1:]))
                h = 16
        if y - h < BOTTOM + 14:
            y = new_page()
            y = draw_table_header(pg, text, y)
        if kind == "row":
            draw_cells(pg, cells, y, height=h, wrapped=wrapped)
        else:
            pg.gray(0.25)
            draw_cells(pg, cells, y, size=6.2, height=h)
            pg.gray(0)
        pg.rule(M, y - h, RIGHT, gray=0.7, lw=0.3)
        y -= h
    # totals row
    h = 11
    if y - h < BOTTOM + 14:
        y = new_page()
    pg.gray(LIGHT)
    c.setStrokeGray(GREY)
    c.rect(M, y - h, RIGHT - M, h, stroke=1, fill=1)
    pg.gray(0)
    charged_lines = sum((s.charge + s.imbalance + s.penalty for s in inv.services), ZERO)
    cells = [text["total_row"], "", "", "", "", money_text(charged_lines), signed(inv.recalculated),
             signed(inv.benefits), signed(inv.subsidies),
             money_text(inv.charged + inv.penalty + inv.recalculated + inv.benefits + inv.subsidies)]
    draw_cells(pg, cells, y, size=7, bold=True, height=h)
    # the vertical rules of the table
    return y - h


def draw_money(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    """The money block (left 60 %) and the QR code (right). Returns the lowest y."""
    top = y - 6
    split = M + (RIGHT - M) * 0.56
    pg.text(M, top - 8, text["money"], size=8.5, bold=True)
    yy = top - 20
    if inv.opening > 0:
        opening = (text["opening_debt"], money_text(inv.opening))
    elif inv.opening < 0:
        opening = (text["opening_advance"], money_text(-inv.opening))
    else:
        opening = (text["opening_none"], money_text(inv.opening))
    rows = [opening, (text["charged_month"], money_text(inv.charged))]
    if inv.penalty:
        rows.append((text["penalty"], money_text(inv.penalty)))
    if inv.recalculated:
        rows.append((text["recalculated"], money_text(inv.recalculated)))
    if inv.benefits:
        rows.append((text["benefits"], money_text(inv.benefits)))
    if inv.subsidies:
        rows.append((text["subsidies"], money_text(inv.subsidies)))
    rows.append((text["paid"], money_text(inv.paid)))
    xr = split - 8
    for label, value in rows:
        pg.text(M, yy, label, size=7.5)
        pg.right(xr, yy, value, size=7.5)
        pg.rule(M, yy - 2.5, xr, gray=0.8, lw=0.3)
        yy -= 10
        if label == text["paid"]:
            for p in inv.payments[:6]:
                key = "reversal_on" if p.reversal else "paid_on"
                pg.text(M + 8, yy + 1, text[key] % {"day": date_text(p.day)}, size=6.5, grey=True)
                pg.right(xr - 50, yy + 1, money_text(p.amount), size=6.5)
                yy -= 8
            if len(inv.payments) > 6:
                rest = sum((p.amount for p in inv.payments[6:]), ZERO)
                pg.text(M + 8, yy + 1, f"… +{len(inv.payments) - 6}", size=6.5, grey=True)
                pg.right(xr - 50, yy + 1, money_text(rest), size=6.5)
                yy -= 8
    if inv.written_off:
        pg.text(M, yy, text["written_off"], size=7.5)
        pg.right(xr, yy, money_text(-inv.written_off), size=7.5)
        yy -= 10
    # amount due
    yy -= 4
    c = pg.c
    c.setLineWidth(1.4)
    c.setStrokeGray(0)
    c.rect(M, yy - 23, xr - M, 27, stroke=1, fill=0)
    if inv.amount_due > 0:
        pg.text(M + 5, yy - 9, text["due"], size=11, bold=True)
        pg.right(xr - 5, yy - 11, f"{money_text(inv.amount_due)} {text['uah']}", size=13, bold=True)
        pg.text(M + 5, yy - 19, text["pay_by"] % {"day": date_text(inv.due_date)}, size=7.5, bold=True)
    else:
        label = text["advance_end"] if inv.balance < 0 else text["nothing"]
        pg.text(M + 5, yy - 11, label, size=9, bold=True)
        pg.right(xr - 5, yy - 11, f"{money_text(inv.advance)} {text['uah']}" if inv.balance < 0 else
                 f"0,00 {text['uah']}", size=11, bold=True)
    low = yy - 25
    # QR code on the right
    qx = split + 2
    if inv.qr_url:
        size = 34 * mm
        draw_qr(pg, inv.qr_url, qx, top - size - 2, size)
        tx = qx + size + 6
        tw = RIGHT - tx
        pg.text(tx, top - 8, text["due"].capitalize() + ":", size=6.8, grey=True)
        pg.text(tx, top - 19, f"{money_text(inv.amount_due)} {text['uah']}", size=10, bold=True)
        ty = top - 30
        pg.text(tx, ty, text["recipient"] + ":", size=6.3, grey=True)
        ty -= 7.5
        for part in pg.lines(inv.provider.name, tw, 6.3)[:3]:
            pg.text(tx, ty, part, size=6.3)
            ty -= 7.5
        pg.text(tx, ty, text["purpose"] + ":", size=6.3, grey=True)
        ty -= 7.5
        for part in pg.lines(inv.qr_purpose, tw, 6.3)[:5]:
            pg.text(tx, ty, part, size=6.3)
            ty -= 7.5
        pg.text(qx, top - size - 9, text["scan"], size=6, grey=True)
        low = min(low, top - size - 12)
    return low


def draw_qr(pg: Page, url: str, x: float, y: float, size: float) -> None:
    """The symbol as an inline image mask (one bit a module, painted black, never smoothed by
    a PDF viewer's interpolation) with the quiet zone, and the hryvnia sign in a white circle in
    the middle (the NBU's mark; the error correction level Q covers it)."""
    c = pg.c
    n, hexdata = _bitmap(url)
    quiet = 4
    unit = size / (n + 2 * quiet)
    side = unit * n
    c._code.append(f"q 0 g {side:.3f} 0 0 {side:.3f} {x + quiet * unit:.3f} {y + quiet * unit:.3f} cm "
                   f"BI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID {hexdata}> EI Q")
    pg._gray = None
    cx, cy = x + size / 2, y + size / 2
    r = side * 0.085
    pg.gray(1)
    c.setStrokeGray(0)
    c.setLineWidth(0.6)
    c.circle(cx, cy, r, stroke=1, fill=1)
    pg.gray(0)
    pg.centre(cx, cy - r * 0.5, "₴", size=r * 1.45, bold=True)


def draw_meters_and_chart(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    top = y - 6
    split = M + (RIGHT - M) * 0.5
    pg.text(M, top - 8, text["house"], size=8, bold=True)
    yy = top - 19
    if not inv.house_meters:
        pg.text(M, yy, text["no_house"], size=6.8, grey=True)
        yy -= 9
    for meter in inv.house_meters[:6]:
        label = f"№ {meter.serial} — {RESOURCES.label(meter.resource) if meter.resource in RESOURCES.codes else meter.resource}"
        pg.text(M, yy, label, size=pg.fit(label, split - M - 60, 6.8), )
        pg.right(split - 10, yy, qty(meter.volume) if meter.volume is not None else text["no_data"], size=6.8)
        yy -= 8.5
    for line in inv.services:
        if line.imbalance or line.imbalance_volume:
            label = f"{line.name}: {text['imbalance']} {qty(line.imbalance_volume)} {line.unit}"
            pg.text(M, yy, label, size=pg.fit(label, split - M - 50, 6.6), grey=True)
            pg.right(split - 10, yy, money_text(line.imbalance), size=6.6)
            yy -= 8.5
    # chart
    cx = split + 4
    pg.text(cx, top - 8, text["consumption"], size=8, bold=True)
    pg.text(cx, top - 16, text["law"], size=5.8, grey=True)
    items = inv.consumption[:6]
    cy = top - 24
    bar_x = cx + 56
    bar_w = RIGHT - bar_x - 30
    peak = max([v for item in items for v in (item.current, item.last_year) if v is not None] or [1]) or 1
    c = pg.c
    this_year, last_year = month_name(inv.period), month_name(_shift_year(inv.period))
    for item in items:
        label = f"{item.name}, {item.unit}"
        pg.text(cx, cy - 6, label, size=pg.fit(label, RIGHT - cx, 6.5))
        for i, (value, shade, label) in enumerate(((item.current, 0.15, this_year), (item.last_year, 0.65, last_year))):
            by = cy - 13 - i * 7
            pg.text(cx + 4, by - 0.5, label, size=5.4, grey=True)
            if value is None:
                pg.text(bar_x, by - 0.5, text["no_data"], size=5.5, grey=True)
                continue
            length = float(value) / float(peak) * bar_w if peak else 0
            pg.gray(shade)
            c.rect(bar_x, by - 1.5, max(length, 0.6), 5, stroke=0, fill=1)
            pg.gray(0)
            pg.text(bar_x + 2 + max(length, 0.6), by - 0.5, qty(value), size=5.8)
        cy -= 27
    if not items:
        pg.text(cx, cy - 6, text["no_data"], size=6.8, grey=True)
        cy -= 10
    return min(yy, cy)


def _shift_year(period: str) -> str:
    return f"{int(period[:4]) - 1:04d}{period[4:]}"


def draw_notice(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    notice = (inv.provider.notice or "").strip()
    if not notice:
        return y
    parts = []
    for para in notice.splitlines():
        parts.extend(pg.lines(para, RIGHT - M - 8, 6.5) if para.strip() else [""])
    parts = parts[:max(1, int((y - BOTTOM - 28) // 7.8))]
    h = 14 + 7.8 * len(parts)
    top = y - 6
    pg.box(M, top - h, RIGHT - M, h)
    pg.text(M + 4, top - 9, text["notice"], size=7.5, bold=True)
    yy = top - 18
    for part in parts:
        pg.text(M + 4, yy, part, size=6.5)
        yy -= 7.8
    return top - h


def draw_instalments(pg: Page, inv: Invoice, text: dict, y: float) -> float:
    """The instalments of a restructuring agreement due with this invoice (a box, one line each)."""
    rows = inv.instalments[:max(1, int((y - BOTTOM - 28) // 7.8))]
    if not rows:
        return y
    h = 14 + 7.8 * len(rows)
    top = y - 6
    pg.box(M, top - h, RIGHT - M, h)
    pg.text(M + 4, top - 9, text["instalments"], size=7.5, bold=True)
    yy = top - 18
    for number, seq, day, unpaid in rows:
        pg.text(M + 4, yy, text["instalment"] % {"number": number, "seq": seq, "day": date_text(day)}, size=6.5)
        pg.right(RIGHT - 4, yy, f"{money_text(unpaid)} {text['uah']}", size=6.5, bold=True)
        yy -= 7.8
    return top - h


def draw_invoice(c: canvas.Canvas, inv: Invoice, text: dict, issued: date) -> None:
    pg = Page(c)
    page = [1]

    def footer():
        pg.text(M, 7 * mm, text["issued"] % {"day": date_text(issued)}, size=5.8, grey=True)
        pg.right(RIGHT, 7 * mm, f"{inv.account_number} · {text['page'] % {'n': page[0]}}", size=5.8)

    def new_page():
        footer()
        c.showPage()
        page[0] += 1
        top = H - M
        pg.text(M, top - 8, f"{text['account']} № {inv.account_number} — {month_name(inv.period)} "
                            f"({text['continued']})", size=8, bold=True)
        return top - 14

    y = draw_header(pg, inv, text, H - M)
    y = draw_account(pg, inv, text, y)
    y = draw_services(pg, inv, text, y, new_page)
    if y < BOTTOM + 120:
        y = new_page()
    y = draw_money(pg, inv, text, y)
    pg.rule(M, y - 3, RIGHT, gray=0.6)
    if y < BOTTOM + 80:
        y = new_page()
    y = draw_meters_and_chart(pg, inv, text, y - 3)
    if inv.instalments:
        if y < BOTTOM + 40:
            y = new_page()
        y = draw_instalments(pg, inv, text, y)
    if inv.provider.notice and y < BOTTOM + 40:
        y = new_page()
    draw_notice(pg, inv, text, y)
    footer()
    c.showPage()


def render(invoices: list[Invoice], *, title: str = "", issued: date | None = None) -> bytes:
    """One PDF of the ``invoices``' pages, in the given order, on one canvas."""
    register_fonts()
    text = labels()
    issued = issued or date.today()
    buffer = io.BytesIO()
    # binary (deflated) streams without the ASCII85 layer: a quarter smaller, and its pure-Python
    # encoder was a third of the time of a page
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        _draw(buffer, invoices, text, issued, title)
    finally:
        rl_config.useA85 = a85
    return buffer.getvalue()


def _draw(buffer, invoices, text, issued, title) -> None:
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=FONT, initialFontSize=7)
    for font in (FONT, FONT_BOLD):
        _cache_subsets(_face(font).face)
        _cache_font_objects(_face(font))
        _face(font).splitString(SEED, c._doc)
        _face(font).getSubsetInternalName(0, c._doc)  # F1 the regular, F2 the bold: in every document
    c.setTitle(title or _("Invoices"))
    c.setAuthor(invoices[0].provider.name if invoices else "")
    c.setCreator("Oblik")
    for inv in invoices:
        if inv.qr_url is None and not inv.qr_purpose:
            prepare(inv, text)
        draw_invoice(c, inv, text, issued)
    if not invoices:
        c.showPage()
    c.save()
