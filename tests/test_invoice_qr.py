"""The NBU payment QR code (app/services/invoices/qr.py): the issue's worked example rendered to
an image, decoded by a real decoder (zxing-cpp), the link's base64url decoded and its 13
elements checked one by one; the size limit, format 003, any Ukrainian text within the limits,
amounts to the kopiyka."""
import base64
from decimal import Decimal as D

import pytest
import zxingcpp
from hypothesis import given, settings, strategies as st
from PIL import Image

from app.services.invoices import qr

EXAMPLE = qr.Payment(recipient='ПрАТ АК "Водопостачання"', iban="UA883226690000026005012107132",
                     amount=D("576.45"), code="40723822",
                     purpose="Оплата за червень 2019, вул. Свободи 1, кв. 24, о/р 1234567")


def image(url: str, scale: int = 4) -> Image.Image:
    """The symbol as a PNG image (segno's own writer), as a printer would put it on paper."""
    import io

    buffer = io.BytesIO()
    qr.symbol(url).save(buffer, kind="png", scale=scale, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def scan(url: str) -> str:
    found = zxingcpp.read_barcodes(image(url))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def elements(url: str, prefix: str) -> list[str]:
    assert url.startswith(prefix)
    body = url[len(prefix):]
    assert "=" not in body and "+" not in body and "/" not in body  # base64url, no padding
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8").split("\n")


def test_the_worked_example_decodes_to_its_13_elements():
    url = qr.link(EXAMPLE)
    scanned = scan(url)
    assert scanned == url
    assert elements(scanned, "https://bank.gov.ua/qr/") == [
        "BCD", "002", "1", "UCT", "", 'ПрАТ АК "Водопостачання"', "UA883226690000026005012107132", "UAH576.45",
        "40723822", "", "", "Оплата за червень 2019, вул. Свободи 1, кв. 24, о/р 1234567", ""]
    code = qr.symbol(url)
    assert qr.MIN_VERSION <= code.version <= qr.MAX_VERSION and code.error == "Q"
    assert len(url.encode()) <= qr.MAX_LINK_BYTES


def test_format_003_has_its_prefix_version_and_17_elements():
    url = qr.link(EXAMPLE, 3)
    got = elements(scan(url), "https://qr.bank.gov.ua/")
    assert len(got) == 17 and got[:4] == ["BCD", "003", "1", "UCT"]
    assert got[5:9] == ['ПрАТ АК "Водопостачання"', "UA883226690000026005012107132", "UAH576.45", "40723822"]
    assert got[11] == EXAMPLE.purpose and got[13:] == ["", "", "", ""]
    # 003 takes a longer purpose (420) and recipient (140) than 002 (140, 70)
    long = qr.Payment(**{**EXAMPLE.__dict__, "purpose": "п" * 141})
    with pytest.raises(qr.QrError) as refused:
        qr.link(long, 2)
    assert refused.value.field == "purpose"
    assert qr.fields(long, 3)[11] == "п" * 141


def test_the_limits_are_checked_field_by_field():
    def refused(version=2, **change):
        with pytest.raises(qr.QrError) as error:
            qr.link(qr.Payment(**{**EXAMPLE.__dict__, **change}), version)
        return error.value.field

    assert refused(recipient="Р" * 71) == "recipient"
    assert refused(recipient="") == "recipient"
    assert refused(iban="UA88322669000002600501210713") == "iban"  # 28 characters
    assert refused(iban="DE89370400440532013000") == "iban"
    assert refused(code="1234567") == "code"
    assert refused(amount=D("0")) == "amount"
    assert refused(amount=D("-1.00")) == "amount"
    assert refused(amount=D("1000000000.00")) == "amount"
    assert refused(amount=576.45) == "amount"  # a float is never money
    assert refused(reference="R" * 36) == "reference"
    assert refused(display="Д" * 71) == "display"
    # the whole link: Cyrillic is two bytes in UTF-8, so 003's 420 characters overflow 507 bytes
    assert refused(3, purpose="ї" * 420) == "size"
    # a line break inside a field would shift every field after it: it becomes a space
    assert qr.fields(qr.Payment(**{**EXAMPLE.__dict__, "purpose": "рядок\nдругий\r\n"}))[11] == "рядок другий"


@pytest.mark.parametrize("amount, text", [(D("576.45"), "UAH576.45"), (D("0.01"), "UAH0.01"), (D("10"), "UAH10.00"),
                                          (D("1234567.8"), "UAH1234567.80"), (D("999999999.99"), "UAH999999999.99"),
                                          (D("0.005"), "UAH0.01")])
def test_amounts_to_the_kopiyka(amount, text):
    assert qr.amount_text(amount) == text
    assert qr.decode_link(qr.link(qr.Payment(**{**EXAMPLE.__dict__, "amount": amount})))[7] == text


UKRAINIAN = st.text(alphabet="абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯʼ'\"«»№.,;:-–/() 0123456789",
                    min_size=1, max_size=60).filter(lambda s: s.strip())


@settings(max_examples=25, deadline=None)
@given(recipient=UKRAINIAN, purpose=UKRAINIAN, kopiyky=st.integers(min_value=1, max_value=99_999_999_999))
def test_any_ukrainian_text_within_the_limits_round_trips_through_the_decoder(recipient, purpose, kopiyky):
    amount = D(kopiyky) / 100
    payment = qr.Payment(recipient=recipient, iban=EXAMPLE.iban, amount=amount, code=EXAMPLE.code, purpose=purpose)
    url = qr.link(payment)
    got = elements(scan(url), "https://bank.gov.ua/qr/")
    assert got[5] == " ".join(recipient.split()) and got[11] == " ".join(purpose.split())
    assert D(got[7].removeprefix("UAH")) == amount


def test_the_bitmap_is_the_symbol():
    url = qr.link(EXAMPLE)
    n, hexdata = qr.bitmap(url)
    code = qr.symbol(url)
    width = (n + 7) // 8
    data = bytes.fromhex(hexdata)
    assert len(data) == width * n
    rows = [[(data[r * width + c // 8] >> (7 - c % 8)) & 1 for c in range(n)] for r in range(n)]
    assert rows == [[1 if v else 0 for v in row] for row in code.matrix]
