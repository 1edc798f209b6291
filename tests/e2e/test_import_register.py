"""End-to-end: a bank's payment register with Ukrainian headers and two bad rows — the preview's
control totals, then «Записати коректні рядки» and the file of the rejected rows."""
import os
import shutil

import pytest

from tests.conftest import PASSWORD
from tests.imports.helpers import Town, load, write_csv

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_operator_writes_the_valid_rows_of_a_register(page, live_server, app, tmp_path):
    from app.extensions import db

    town = Town()
    with app.app_context():
        load(town, "accounts")
        db.session.commit()
    p = town.p
    rows = [
        {"Ідентифікатор оплати": f"{p}-1", "Особовий рахунок": f"{p}-A1", "Дата оплати": "03.11.2026", "Сума": "1250,40"},
        {"Ідентифікатор оплати": f"{p}-2", "Особовий рахунок": f"{p}-A9", "Дата оплати": "04.11.2026", "Сума": "75,25"},
        {"Ідентифікатор оплати": f"{p}-3", "Особовий рахунок": f"{p}-A2", "Дата оплати": "25.11.2026",
         "Сума": "12 345,67"},
        {"Ідентифікатор оплати": f"{p}-4", "Особовий рахунок": f"{p}-A2", "Дата оплати": "10.11.2026", "Сума": "0"},
    ]
    register = tmp_path / "privat-2026-11.csv"
    register.write_bytes(write_csv(rows, encoding="utf-8-sig", delimiter=";", reverse_columns=False,
                                   header_case=str, extra_column=False))

    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, "operator", PASSWORD)
    page.goto(f"{live_server}/imports/")
    kinds = page.locator("#import-kinds")
    assert "Особовий рахунок" in kinds.inner_text() and kinds.locator("a", has_text="CSV").count() >= 10
    if os.environ.get("OBLIK_SCREENSHOTS"):
        kinds.scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(os.environ["OBLIK_SCREENSHOTS"], "import-kinds.png"))
    page.select_option("#import-kind", "payments")
    page.set_input_files("#import-file", str(register))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-totals")
    totals = page.locator("#import-totals").inner_text()
    # 1 250,40 + 75,25 + 12 345,67 + 0 = 13 671,32; the valid rows 1 250,40 + 12 345,67 = 13 596,07
    assert "13 671,32 грн" in totals and "03.11.2026 – 25.11.2026" in totals
    assert "2 на суму 13 596,07 грн" in totals
    assert "Невідомий особовий рахунок" in page.locator("#import-problems").inner_text()
    page.locator("#import-totals").scroll_into_view_if_needed()
    shot = tmp_path / "import-preview.png"
    page.screenshot(path=str(shot))
    if os.environ.get("OBLIK_SCREENSHOTS"):  # a directory to keep the screenshot in (docs/import-preview.png)
        shutil.copy(shot, os.path.join(os.environ["OBLIK_SCREENSHOTS"], "import-preview.png"))

    page.once("dialog", lambda dialog: dialog.accept())  # «Записати лише коректні рядки?»
    page.click("#import-commit-valid")
    page.wait_for_selector("#import-rejected-file")
    assert "Записано коректні рядки: створено 2" in page.content()
    with page.expect_download() as download:
        page.click("#import-rejected-file a")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and "Причина відхилення" in data.decode("utf-8-sig")
    if os.environ.get("OBLIK_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["OBLIK_SCREENSHOTS"], "import-partial.png"))
