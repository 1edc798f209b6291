"""The invoice document (app/services/invoices): data from the ledger and the billing results,
the PDF read back, the QR code decoded from the rendered page.

The town of town.py with the worked November of test_statement.py, flat 1 (E1-001):
    October   charged 10682,50 (UTR 400, TPV 80, CW 180 + imbalance 22,50, HEAT 10000); closed
    November  opening 10682,50 (debt); charged 13997,97; recalculated 1,94 (CW for October);
              subsidy 300,00; paid 600,00 (P-0 of 20.10.2026 100,00, P-1 of 10.11.2026 500,00);
              amount due 10682,50 + 13997,97 + 1,94 − 300,00 − 600,00 = 23782,41
Flat 2 paid 30000,00 in November: an advance, nothing to pay, no QR.
"""
import io
import os
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Organisation
from app.services import ledger
from app.services.invoices import combined_pdf, file_name, invoice_pdf, load_invoices, qr

from .test_statement import NOVEMBER_CLOSING, _town_with_november
from .town import NOVEMBER, OCTOBER

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")


def _text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u2009", " ")


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _money(value: D) -> str:
    from app.services.documents.pdf import money_text

    return money_text(value, thousands=" ")


def _decode_page(data: bytes, tmp_path, dpi=150):
    """The QR codes zxing-cpp finds on the page rendered to PNG by pdftoppm."""
    import zxingcpp
    from PIL import Image

    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    png = next(p for p in tmp_path.iterdir() if p.name.startswith("page") and p.suffix == ".png")
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png)) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_debug_render(bdb, tmp_path):
    ids = _town_with_november()
    invoices = load_invoices(db.session, NOVEMBER, account_ids=[ids["accounts"][1], ids["accounts"][2]])
    data = combined_pdf(invoices)
    open("/tmp/inv.pdf", "wb").write(data)
    print(_text(data))
