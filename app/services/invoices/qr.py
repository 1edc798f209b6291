"""The NBU payment QR code of an invoice (Правила формування … QR-коду для обміну реквізитами
кредитових та миттєвих кредитових переказів, Постанова Правління НБУ № 97 від 19.08.2025):
the data block, the link and the symbol (``segno``).

The data block is the fields joined by a line feed (LF, 0x0A), UTF-8 (encoding ``1``), then
base64url without padding after the link's prefix. Format 002 (the default: every banking
app reads it) has 13 fields; format 003 (``invoice.qr_format`` = 3) 17 — the same 13, then
the lock mask, the validity, the creation time and a reserved field, all left empty here —
after its own prefix and with longer recipient and purpose limits. docs/invoices.md explains
the choices.

Every limit is checked before a link is made (:class:`QrError`, a message naming the field):
a code that a bank would refuse is worse than no code.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from decimal import Decimal

import segno

from ...billing.money import round_money

PREFIX = {2: "https://bank.gov.ua/qr/", 3: "https://qr.bank.gov.ua/"}
SEPARATOR = "\n"
SERVICE_TAG = "BCD"
ENCODING_UTF8 = "1"
FUNCTION = "UCT"  # кредитовий переказ (003 also knows ICT, XCT: instant transfers)
# The longest link (bytes) a symbol may carry (appendix 4, item 8).
MAX_LINK_BYTES = 507
# Symbol versions the rules allow, and the error correction levels, strongest first: the
# hryvnia sign in the middle covers modules, so the strongest level that fits is taken.
MIN_VERSION, MAX_VERSION = 10, 20
LEVELS = ("Q", "M", "L")
MAX_AMOUNT = Decimal("999999999.99")
# One data mask for every symbol: choosing the best of the eight by ISO/IEC 18004's penalty
# rules is a recommendation, not a requirement (every decoder reads every mask), and costs
# segno ~37 ms a symbol — more than twice the whole budget of an invoice (docs/invoices.md).
MASK = 0


@dataclass(frozen=True)
class Limits:
    recipient: int
    purpose: int
    display: int
    fields: int


LIMITS = {2: Limits(recipient=70, purpose=140, display=70, fields=13),
          3: Limits(recipient=140, purpose=420, display=140, fields=17)}
IBAN_UA = re.compile(r"^UA\d{27}$")
CODE = re.compile(r"^\d{8,10}$")


class QrError(ValueError):
    """The payment's details do not fit the NBU format (``field`` names the element)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Payment:
    """What the code asks the bank to pay."""

    recipient: str
    iban: str
    amount: Decimal
    code: str  # ЄДРПОУ (or РНОКПП) of the recipient
    purpose: str
    reference: str = ""
    purpose_code: str = ""
    display: str = ""


def amount_text(amount: Decimal) -> str:
    """``Decimal("576.45")`` → ``UAH576.45`` (always two decimals, a point)."""
    value = round_money(amount)
    return f"UAH{value:.2f}"


def _clean(text: str) -> str:
    """One line: no line breaks (they would shift every later field), spaces trimmed."""
    return " ".join((text or "").replace("\r", " ").replace("\n", " ").split())


def fields(payment: Payment, version: int = 2) -> list[str]:
    """The data block's elements, in order (13 for 002, 17 for 003)."""
    if version not in LIMITS:
        raise QrError("format", f"unknown format {version!r} (2 or 3)")
    limits = LIMITS[version]
    recipient, purpose = _clean(payment.recipient), _clean(payment.purpose)
    display, reference = _clean(payment.display), _clean(payment.reference)
    iban = (payment.iban or "").replace(" ", "").upper()
    code = (payment.code or "").strip()
    if not recipient or len(recipient) > limits.recipient:
        raise QrError("recipient", f"1–{limits.recipient} characters, got {len(recipient)}")
    if not IBAN_UA.match(iban):
        raise QrError("iban", f"a Ukrainian IBAN (UA and 27 digits), got {iban!r}")
    if not CODE.match(code):
        raise QrError("code", f"8–10 digits, got {code!r}")
    if not isinstance(payment.amount, Decimal):
        raise QrError("amount", "a Decimal")
    if payment.amount <= 0 or payment.amount > MAX_AMOUNT:
        raise QrError("amount", f"above 0 and at most {MAX_AMOUNT}, got {payment.amount}")
    if not purpose or len(purpose) > limits.purpose:
        raise QrError("purpose", f"1–{limits.purpose} characters, got {len(purpose)}")
    if len(display) > limits.display:
        raise QrError("display", f"at most {limits.display} characters, got {len(display)}")
    if len(reference) > 35:
        raise QrError("reference", f"at most 35 characters, got {len(reference)}")
    if len(payment.purpose_code) > (4 if version == 2 else 9):
        raise QrError("purpose_code", "too long")
    result = [SERVICE_TAG, f"{version:03d}", ENCODING_UTF8, FUNCTION, "", recipient, iban,
              amount_text(payment.amount), code, payment.purpose_code, reference, purpose, display]
    if version == 3:
        result += ["", "", "", ""]  # lock mask, valid until, created at, reserved
    return result


def data_block(payment: Payment, version: int = 2) -> bytes:
    return SEPARATOR.join(fields(payment, version)).encode("utf-8")


def link(payment: Payment, version: int = 2) -> str:
    """``https://bank.gov.ua/qr/`` + base64url (no padding) of the data block."""
    encoded = base64.urlsafe_b64encode(data_block(payment, version)).rstrip(b"=").decode("ascii")
    url = PREFIX[version] + encoded
    if len(url.encode("ascii")) > MAX_LINK_BYTES:
        raise QrError("size", f"the link is {len(url)} bytes, at most {MAX_LINK_BYTES}")
    return url


def decode_link(url: str) -> list[str]:
    """The elements of a link made by :func:`link` (what a bank does on scanning it)."""
    for prefix in PREFIX.values():
        if url.startswith(prefix):
            body = url[len(prefix):]
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return raw.decode("utf-8").split(SEPARATOR)
    raise QrError("link", "not an NBU payment link")


def symbol(url: str) -> segno.QRCode:
    """The QR symbol of a link: byte mode, version 10–20, the strongest level that fits
    (Q, else M, else L)."""
    for level in LEVELS:
        try:
            code = segno.make_qr(url, error=level, boost_error=False, mode="byte", mask=MASK)
        except segno.DataOverflowError:
            continue
        if code.version > MAX_VERSION:
            continue
        if code.version < MIN_VERSION:
            code = segno.make_qr(url, error=level, version=MIN_VERSION, boost_error=False, mode="byte", mask=MASK)
        return code
    raise QrError("size", f"the link does not fit a QR symbol of version {MAX_VERSION}")


def bitmap(url: str) -> tuple[int, str]:
    """(modules per side, the symbol as a 1-bit image, rows top first, each padded to a whole
    byte, in hexadecimal: dark modules are 1) — what the PDF paints as an image mask: under a
    kilobyte and sharp at any scale."""
    rows = symbol(url).matrix
    n = len(rows)
    pad = b"0" * (-n % 8)
    digits = (n + 7) // 8 * 2
    return n, "".join(f"{int(bytes(row).translate(_BITS) + pad, 2):0{digits}x}" for row in rows)


# a module's value (0, or any dark value up to 255) as the digit of a bit
_BITS = bytes([48] + [49] * 255)
