"""Hostile or broken files get a clear error, change nothing, and are recorded as refused."""
import io
import struct
import zipfile

import pytest

from app.models import ImportRecord
from app.services.imports import FileRefused, import_bytes
from app.services.imports.files import Limits

from .helpers import Town, counts, write_csv, write_xlsx


def _refused(ctx, kind, data, code, name="file.csv"):
    before = counts(ctx)
    record_id, outcome = import_bytes(kind, data, name)
    assert isinstance(outcome, FileRefused), outcome
    assert outcome.code == code, (outcome.code, outcome.message)
    assert outcome.message
    assert counts(ctx) == before
    record = ctx.get(ImportRecord, record_id)
    ctx.refresh(record)
    assert record.status == "failed" and record.message == outcome.message
    return outcome


def _buildings(p, n=2):
    return [{"code": f"{p}-B{i}", "address": f"вул. Тестова, {i}"} for i in range(n)]


def test_not_a_table(ctx):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00stream\n\x89\x00\x10endstream"
    _refused(ctx, "buildings", pdf, "control_characters", "scan.pdf")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    _refused(ctx, "buildings", png, "control_characters", "photo.png")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    _refused(ctx, "buildings", archive.getvalue(), "not_a_table", "file.zip")
    _refused(ctx, "buildings", b"", "empty")
    _refused(ctx, "buildings", b"\n\n  \n", "empty")
    _refused(ctx, "buildings", "code,address\n".encode("utf-16"), "encoding")


def test_truncated_and_password_protected_xlsx(ctx):
    good = write_xlsx(_buildings(Town().p))
    _refused(ctx, "buildings", good[: len(good) // 2], "damaged", "cut.xlsx")
    # An encrypted workbook is an OLE compound file (Excel's «Protect with password»).
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptionInfo" + b"\x00" * 2000
    _refused(ctx, "buildings", ole, "encrypted", "secret.xlsx")
    # A zip whose parts are encrypted (the "encrypted" flag set).
    data = bytearray(good)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 1)
            start += 4
    _refused(ctx, "buildings", bytes(data), "encrypted", "zipcrypto.xlsx")


def test_zip_bomb_is_refused_before_inflating(ctx):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (30 * 1024 * 1024))
    data = archive.getvalue()
    assert len(data) < 100_000  # 30 MB inside a small file
    _refused(ctx, "buildings", data, "zip_bomb", "bomb.xlsx")


def test_xml_entities_are_refused(ctx):
    good = write_xlsx(_buildings(Town().p))
    source = zipfile.ZipFile(io.BytesIO(good))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<!DOCTYPE" not in content
                content = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>' + content.split(b"?>", 1)[-1]
            z.writestr(item, content)
    _refused(ctx, "buildings", archive.getvalue(), "unsafe_xml", "laughs.xlsx")


def test_size_and_row_limits(ctx, app, monkeypatch):
    assert Limits().max_bytes == 50 * 1024 * 1024 and Limits().max_rows == 1_000_000
    monkeypatch.setitem(app.config, "OBLIK_IMPORT_MAX_MB", 1)
    p = Town().p
    big = write_csv([{"code": f"{p}-{i}", "address": "вул. Дуже Довга, " + "9" * 40} for i in range(20000)])
    assert len(big) > 1024 * 1024
    _refused(ctx, "buildings", big, "too_large")
    monkeypatch.setitem(app.config, "OBLIK_IMPORT_MAX_MB", 50)
    rows = b"code,address\n" + b"x,y\n" * 1_000_001
    _refused(ctx, "buildings", rows, "too_many_rows")


def test_header_lines_and_characters(ctx):
    p = Town().p
    _refused(ctx, "buildings", "address,floors\nвул. Тестова, 1,5\n".encode(), "missing_key")
    _refused(ctx, "readings", write_csv([{"serial": "X", "value": "1"}]), "missing_key")
    long_line = f"code,address\n{p}-1,{'д' * 70000}\n".encode()
    _refused(ctx, "buildings", long_line, "line_too_long")
    _refused(ctx, "buildings", f"code,address\n{p}-1,вул.\x1b[31m Тестова\n".encode(), "control_characters")
    _refused(ctx, "buildings", f"code,code\n{p}-1,{p}-2\n".encode(), "duplicate_column")
    outcome = _refused(ctx, "buildings", b"code,address\n\x98\x98\xff\n", "not_a_table")
    assert "UTF-8" in outcome.message or "Windows-1251" in outcome.message


@pytest.mark.parametrize("header_row", [1, 3])
def test_header_row_with_blank_lines_before_and_trailing_blank_rows(ctx, header_row):
    p = Town().p
    data = ("\n" * (header_row - 1) + f"CODE;Address\n{p}-1;вул. Тестова, 1\n;\n\n;;\n").encode()
    record_id, outcome = import_bytes("buildings", data)
    assert outcome.created == 1 and outcome.total == 1
