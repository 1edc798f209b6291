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


NOTICE = ("Показники лічильників приймаємо до 25 числа: ґанок будинку, скринька біля підʼїзду, "
          "або на сайті. Скарги розглядаємо протягом 30 днів; їх подають у письмовій формі.")


def _provider():
    org = db.session.scalar(select(Organisation))
    org.phone, org.email, org.working_hours = "+380 61 123 45 67", "info@teplo.example.ua", "пн–пт 8:00–17:00"
    org.invoice_notice = NOTICE
    db.session.commit()


def _check(invoice, data, tmp_path, preliminary):
    session = db.session
    text = _text(data)
    flat = " ".join(text.split())
    assert _pages(data) == 1
    assert invoice.account_number in flat and invoice.owner in flat and invoice.address in flat
    assert ("ПОПЕРЕДНІЙ РОЗРАХУНОК" in flat) is preliminary
    # the money block: the ledger's own figures
    row = ledger.turnover(session, NOVEMBER, [invoice.account_id], draft=preliminary)[invoice.account_id]
    assert invoice.opening == row["opening"] == D("10682.50")
    assert invoice.charged == row["charged"] and invoice.paid == -row["paid"] == D("600.00")
    assert invoice.balance == row["closing"] == NOVEMBER_CLOSING == invoice.amount_due
    for amount in (invoice.opening, invoice.charged, invoice.recalculated, -invoice.subsidies, invoice.paid,
                   invoice.amount_due):
        assert _money(amount) in flat, amount
    assert "Борг на початок місяця" in flat and "До сплати".upper() in flat
    assert "оплата від 20.10.2026" in flat and "оплата від 10.11.2026" in flat
    assert "Сплатити до 20.12.2026" in flat
    # every service line of the ledger for the account, with its figures
    books = ledger.turnover(session, NOVEMBER, [invoice.account_id], by_service=True, draft=preliminary)
    services = {s for (a, s) in books if s is not None}
    assert {line.service_id for line in invoice.services} == services
    for line in invoice.services:
        figures = books[(invoice.account_id, line.service_id)]
        assert line.charged == figures["charged"] == line.charge + line.imbalance
        assert line.total == figures["charged"] + figures["recalculated"] + figures["benefits"] + figures["subsidies"]
        assert line.name in flat and _money(line.total) in flat and _money(line.charge) in flat
    cw = next(line for line in invoice.services if line.code == "CW")
    assert (cw.previous.value, cw.current.value, cw.current.day) == (D("106"), D("111"), date(2026, 11, 25))
    assert (cw.volume, cw.tariff, cw.charge) == (D("5"), D("33.00"), D("165.00"))
    assert "106 (31.10.26) → 111 (25.11.26)" in flat
    assert _money(cw.imbalance) in flat and "частка небалансу" in flat
    heat = next(line for line in invoice.services if line.code == "HEAT")
    assert heat.source == "allocation" and "частка будинкового лічильника" in flat
    # the recalculations with the month they concern: their sum is the ledger's
    assert sum(r.amount for r in invoice.recalculations) == invoice.recalculated == D("1.94")
    assert [(r.target_period, r.amount) for r in invoice.recalculations] == [(OCTOBER, D("9.29")), (OCTOBER, D("-7.35"))]
    assert flat.count("перерахунок за жовтень 2026") == 2
    # house meters and the consumption beside last year's month
    assert "E1-HOUSE-CW" in flat and "E1-HOUSE-HEAT" in flat
    assert [(c.name, c.current, c.last_year) for c in invoice.consumption] == [
        ("Холодна вода", D("5"), None), ("Опалення", heat.volume, None)]
    assert "листопад 2025" in flat and "немає даних" in flat
    # the notice, the provider, the glyphs
    assert "пн–пт 8:00–17:00" in flat and "Скарги розглядаємо" in flat
    for glyph in "іїєґʼҐ":
        assert glyph in flat, glyph
    pdf = tmp_path / "fonts.pdf"
    pdf.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    # the QR code: decoded from the printed page, it is the invoice's link, field by field
    codes = _decode_page(data, tmp_path)
    assert codes == [invoice.qr_url]
    got = qr.decode_link(codes[0])
    assert got[:9] == ["BCD", "002", "1", "UCT", "", "КП «Теплоенерго»", "UA213223130000026007233566001",
                       "UAH23782.41", "32855961"]
    assert got[11] == invoice.qr_purpose == "Оплата за листопад 2026, вул. Енергетиків, 1, кв. 1, о/р E1-001"
    assert invoice.qr_purpose in flat.replace("- ", "-") or all(w in flat for w in invoice.qr_purpose.split())


def test_the_open_period_invoice_is_the_draft_stamped_preliminary(bdb, tmp_path):
    ids = _town_with_november()
    _provider()
    invoice, = load_invoices(db.session, NOVEMBER, account_ids=[ids["accounts"][1]])
    assert invoice.preliminary
    data = invoice_pdf(invoice)
    _check(invoice, data, tmp_path, preliminary=True)
    assert file_name(invoice) == "rakhunok-E1-001-2026-11.pdf"


def test_the_closed_period_invoice_is_the_journal(bdb, tmp_path):
    ids = _town_with_november(close_november=True)
    _provider()
    invoice, = load_invoices(db.session, NOVEMBER, account_ids=[ids["accounts"][1]])
    assert not invoice.preliminary
    _check(invoice, invoice_pdf(invoice), tmp_path, preliminary=False)
    # the balance is the stored closing balance of the ledger
    assert invoice.balance == sum(ledger.balances(db.session, [ids["accounts"][1]], period=NOVEMBER)[
        ids["accounts"][1]].values(), D("0"))


def test_an_advance_is_shown_as_such_with_nothing_to_pay_and_no_qr(bdb, tmp_path):
    ids = _town_with_november()
    invoice, = load_invoices(db.session, NOVEMBER, account_ids=[ids["accounts"][2]])
    assert invoice.balance < 0 and invoice.amount_due == 0 and invoice.qr_url is None
    data = invoice_pdf(invoice)
    flat = " ".join(_text(data).split())
    assert "Аванс (переплата): нічого сплачувати" in flat and _money(-invoice.balance) in flat
    assert "До сплати".upper() not in flat
    assert _decode_page(data, tmp_path) == []


def test_zero_consumption_is_zero_not_no_data(bdb):
    from app.models import Reading
    from app.services.billing import run_billing

    from .town import create_town

    ids = create_town()
    db.session.add(Reading(meter_id=ids["meters"][3], date=date(2026, 10, 31), value=D("200"), source="resident"))
    db.session.commit()
    run_billing()
    invoice, = load_invoices(db.session, OCTOBER, account_ids=[ids["accounts"][3]])
    cw = next(line for line in invoice.services if line.code == "CW")
    assert cw.volume == 0 and cw.source == "actual" and cw.current.value == cw.previous.value == D("200")
    assert [c.current for c in invoice.consumption if c.name == "Холодна вода"] == [D("0")]
    flat = " ".join(_text(invoice_pdf(invoice)).split())
    assert "200 (30.09.26) → 200 (31.10.26) 0 30,00 0,00" in flat


def test_a_chunk_is_loaded_in_a_fixed_number_of_queries_in_delivery_order(bdb):
    from sqlalchemy import event

    ids = _town_with_november()
    session = db.session
    statements = []

    def count(*_args):
        statements.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        one = load_invoices(session, NOVEMBER, account_ids=[ids["accounts"][1]])
        n_one = len(statements)
        statements.clear()
        everyone = load_invoices(session, NOVEMBER, building_ids=[ids["building"]])
        n_all = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(one) == 1 and [i.premise_number for i in everyone] == ["1", "2", "3"]
    assert n_all == n_one <= 25  # the same for one account as for the building: none per account


def test_delivery_order_is_building_entrance_and_the_flat_number_naturally():
    from app.services.invoices import Invoice, delivery_key

    def inv(building, entrance, flat):
        return Invoice(0, f"{building}-{flat}", "", None, 1 if building == "B2" else 2, building, "", entrance, flat,
                       NOVEMBER, D("0"), D("0"), False)

    items = [inv("B10", 1, "1"), inv("B2", 2, "1"), inv("B2", 1, "10"), inv("B2", 1, "2"), inv("B2", 1, "2а"),
             inv("B2", None, "3"), inv("B2", 1, "9")]
    assert [i.account_number for i in sorted(items, key=delivery_key)] == [
        "B2-2", "B2-2а", "B2-9", "B2-10", "B2-1", "B2-3", "B10-1"]


def _synthetic(services: int, recalculations: int):
    from app.services.invoices import Invoice, Provider, Recalculation, ServiceLine
    from app.services.invoices.data import Reading

    lines = []
    for n in range(services):
        metered = n % 3 == 0
        line = ServiceLine(n, f"S{n:02d}", f"Послуга номер {n + 1} з довгою назвою", "м³" if metered else "м²",
                           "metered" if metered else "area", "cold_water" if metered else None, volume=D("12.345"),
                           tariff=D("31.25"), source="actual" if metered else None, charge=D("385.78"),
                           charged=D("385.78"), recalculated=D("-3.10") if n < recalculations else D("0"),
                           benefit=D("-19.29"), subsidy=D("-100.00"))
        if metered:
            line.previous, line.current = Reading(D("1234.5"), date(2026, 10, 31)), Reading(D("1246.845"), date(2026, 11, 30))
            line.imbalance, line.imbalance_volume = D("4.10"), D("0.131")
        lines.append(line)
    recalcs = [Recalculation(n, lines[n].name, "2026-0%d" % (n + 7), "charge", D("-0.1"), D("-3.10"))
               for n in range(recalculations)]
    provider = Provider(name="Комунальне підприємство «Житлосервіс» Енергодарської міської ради",
                        edrpou="32855961", iban="UA213223130000026007233566001", bank_name="АТ «Ощадбанк»",
                        address="м. Енергодар, вул. Памʼяті Героїв, 5", phone="+380 61 123 45 67",
                        email="info@zhytlo.example.ua", working_hours="пн–пт 8:00–17:00", notice=NOTICE * 3)
    invoice = Invoice(1, "0012345678", "Ґалаґан Євгенія Іванівна", None, 1, "B1", "вул. Соборна, 12, кв. 104",
                      2, "104", NOVEMBER, D("5432.10"), D("5432.10"), True, provider=provider, persons=3,
                      total_area=D("62.4"), heated_area=D("58.1"), services=lines, recalculations=recalcs,
                      opening=D("1200.00"), charged=D("4629.36"), paid=D("400.00"), due_date=date(2026, 12, 20))
    return invoice


def test_twelve_services_and_three_recalculations_stay_on_one_page(app):
    with app.app_context():
        _one_page()


def _one_page():
    invoice = _synthetic(12, 3)
    data = invoice_pdf(invoice)
    assert _pages(data) == 1
    flat = " ".join(_text(data).split())
    assert all(line.name in flat for line in invoice.services)
    assert "Оголошення" in flat and "Ґалаґан Євгенія" in flat
    # past that, a second page — with nothing lost
    many = _synthetic(30, 3)
    data = invoice_pdf(many)
    assert _pages(data) == 2
    flat = " ".join(_text(data).split())
    assert all(line.name in flat for line in many.services) and "(продовження)" in flat


def test_a_building_file_is_one_document_in_the_given_order(bdb):
    ids = _town_with_november()
    invoices = load_invoices(db.session, NOVEMBER, building_ids=[ids["building"]])
    data = combined_pdf(invoices)
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == 3
    assert [next(n for n in ("E1-001", "E1-002", "E1-003") if n in page) for page in pages] == [
        "E1-001", "E1-002", "E1-003"]


def test_the_settings_choose_the_pay_by_day_and_format_003(bdb, tmp_path):
    from app.models import Setting

    ids = _town_with_november()
    db.session.add_all([Setting(key="invoice.qr_format", valid_from=date(2026, 11, 1), value="3"),
                        Setting(key="invoice.due_day", valid_from=date(2026, 11, 1), value="31")])
    db.session.commit()
    invoice, = load_invoices(db.session, NOVEMBER, account_ids=[ids["accounts"][1]])
    assert invoice.due_date == date(2026, 12, 31) and invoice.qr_format == 3
    data = invoice_pdf(invoice)
    assert "Сплатити до 31.12.2026" in " ".join(_text(data).split())
    codes = _decode_page(data, tmp_path)
    assert codes == [invoice.qr_url] and codes[0].startswith("https://qr.bank.gov.ua/")
    got = qr.decode_link(codes[0])
    assert len(got) == 17 and got[1] == "003" and got[7] == "UAH23782.41" and got[11] == invoice.qr_purpose
    # before the setting's date the default: format 002
    october, = load_invoices(db.session, OCTOBER, account_ids=[ids["accounts"][1]])
    assert october.qr_format == 2 and october.qr_url.startswith("https://bank.gov.ua/qr/")
    assert october.due_date == date(2026, 11, 20) and not october.preliminary
