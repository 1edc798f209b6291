"""The Ukrainian catalogue covers every user-visible string (Oblik's and Flask-AppBuilder's),
its placeholders match, and the running app shows the Ukrainian menu and switches to English.

The extraction runs into a temporary directory: the repository is not modified, except that
the git-ignored ``.mo`` is compiled when it is missing or older than the ``.po``.
"""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPDATE = ROOT / "translations" / "update.py"


def _load_update_module():
    spec = importlib.util.spec_from_file_location("oblik_translations_update", UPDATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n = _load_update_module()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The merged template (app + FAB), extracted into a temporary directory."""
    return i18n.extract(tmp_path_factory.mktemp("i18n"))


@pytest.fixture(scope="module")
def uk_catalog():
    return i18n.load_po(i18n.UK_PO)


@pytest.fixture(scope="module")
def compiled_app(app):
    """The app, with the Ukrainian .mo compiled from the current .po."""
    po, mo = i18n.UK_PO, i18n.UK_PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        i18n.compile_mo(po)
    # Flask-Babel caches loaded catalogues for the app's lifetime: drop any loaded before.
    app.extensions["babel"].instance.domain_instance.cache.clear()
    return app


@pytest.fixture()
def admin(compiled_app, client_as):
    return client_as("admin")


def test_extraction_finds_app_and_fab_strings(template):
    files = {path for message in template if message.id for path, _line in message.locations}
    assert any(path.startswith("app/templates/") for path in files)
    assert any(path.startswith("app/") and path.endswith(".py") for path in files)
    assert any(path.startswith("flask_appbuilder/") for path in files)
    for msgid in ("Catalogs", "Meter card file", "List Users", "Search"):
        assert msgid in template, msgid


def test_every_msgid_has_a_ukrainian_translation(template, uk_catalog):
    missing = [line for line in i18n.problems(template, uk_catalog) if not line.startswith("placeholders")]
    assert not missing, (
        f"{len(missing)} msgid(s) lack a Ukrainian translation in translations/uk/LC_MESSAGES/messages.po "
        "(run `.venv/bin/python translations/update.py`, then translate):\n" + "\n".join(missing))


def test_the_catalogue_has_no_fuzzy_or_empty_entries(uk_catalog):
    bad = [message.id for message in uk_catalog
           if message.id and (message.fuzzy or not all(i18n._strings(message.string)))]
    assert not bad, bad


def test_placeholders_match_between_msgid_and_msgstr(uk_catalog):
    bad = []
    for message in uk_catalog:
        if message.id:
            why = i18n.placeholder_problem(message)
            if why:
                bad.append(f"{i18n._msgid_text(message.id)!r}: {why}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("msgid, msgstr, ok", [
    ("Must be between %(low)s and %(high)s", "Від %(low)s до %(high)s", True),
    ("Must be between %(low)s and %(high)s", "Від %(low)s", False),
    ("Total %(total)s", "Разом %(totl)s", False),
    ("Total %(total)s", "Разом %(total)s, 100%", False),
    ("Total %(total)s", "Разом %(total)s, 100%%", True),
    ("Discount, %", "Знижка, %", True),
])
def test_the_placeholder_check_itself(msgid, msgstr, ok):
    from babel.messages.catalog import Message

    assert (i18n.placeholder_problem(Message(msgid, msgstr)) is None) is ok


MENU_UK = ("Довідники", "Реєстри", "Облік", "Оплати", "Номенклатура", "Прайс-листи", "Довідник ОТН",
           "Довідник приладів обліку", "Категорії пільг", "Мережеві вузли", "Організація", "Будинки",
           "Квартири/приміщення", "Мешканці", "Реєстрація населення", "Особові рахунки ЖКГ", "Пільговики",
           "Картотека лічильників", "Показники лічильників", "Груповий облік")


def test_menu_is_ukrainian_by_default(admin):
    page = admin.get("/").get_data(as_text=True)
    missing = [label for label in MENU_UK if label not in page]
    assert not missing, missing
    assert "Catalogs" not in page


def test_list_titles_and_columns_are_ukrainian(admin):
    page = admin.get("/meterview/list/").get_data(as_text=True)
    for text in ("Картотека лічильників", "Заводський номер", "Наступна повірка"):
        assert text in page, text


def test_switching_to_english_and_back(admin):
    response = admin.get("/lang/en")
    assert response.status_code == 302
    page = admin.get("/").get_data(as_text=True)
    for label in ("Catalogs", "Registries", "Personal accounts", "Meter card file"):
        assert label in page, label
    assert "Довідники" not in page
    assert admin.get("/lang/uk").status_code == 302
    assert "Довідники" in admin.get("/").get_data(as_text=True)
