"""What a wheel must carry, and where an installed or checked-out Oblik looks for its files.

The wheel itself is built, installed and run in CI by ``scripts/ci-wheel.sh`` (it needs the
package index and takes minutes); these checks are the fast part: the package-data globs of
pyproject.toml cover every file the package needs at run time, setup.py's build hook compiles
the catalogue it is given (and refuses a broken one), and config.py's paths depend on where it
lies, not on the working directory.
"""
import importlib.util
import os
import runpy
import shutil
import tomllib
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def _setup_module():
    spec = importlib.util.spec_from_file_location("oblik_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: defines the hook, builds nothing
    return module


def _packaged_files() -> set[Path]:
    """The files of app/ a wheel carries: modules of packages, plus package-data globs."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    files = {p for p in APP.rglob("*.py") if (p.parent / "__init__.py").is_file()}
    for pattern in config["package-data"]["app"]:
        files |= {p for p in APP.glob(pattern) if p.is_file()}
    return {p for p in files if "__pycache__" not in p.parts}


def _runtime_files() -> set[Path]:
    """Every file under app/ but byte code and the catalogues a wheel build compiles."""
    return {p for p in APP.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and p.suffix != ".pyc" and "translations" not in p.relative_to(APP).parts}


def test_the_wheel_carries_every_file_of_the_package():
    missing = sorted(str(p.relative_to(ROOT)) for p in _runtime_files() - _packaged_files())
    assert not missing, "pyproject.toml [tool.setuptools.package-data] leaves these out of the wheel: " + ", ".join(missing)


def test_the_migrations_are_in_the_wheel():
    shipped = _packaged_files()
    for name in ("alembic.ini", "env.py", "script.py.mako", "versions/0001_initial_schema.py"):
        assert APP / "migrations" / name in shipped, name
    assert set((APP / "migrations" / "versions").glob("*.py")) <= shipped


def test_the_build_hook_compiles_the_catalogue_of_the_source(tmp_path):
    """setup.py compiles the checkout's .po, as every wheel build does; the .mo it writes holds
    exactly the translated, non-fuzzy messages of that .po."""
    written = _setup_module().compile_catalogues(ROOT, tmp_path / "app")
    mo_path = tmp_path / "app/translations/uk/LC_MESSAGES/messages.mo"
    assert mo_path in written
    with (ROOT / "translations/uk/LC_MESSAGES/messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f, locale="uk") if m.id and m.string and not m.fuzzy}
    with mo_path.open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert po and mo == po


def _source_with(tmp_path, catalog: Catalog) -> Path:
    po = tmp_path / "src/translations/uk/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as f:
        write_po(f, catalog)
    return tmp_path / "src"


def test_the_build_hook_refuses_a_catalogue_with_errors(tmp_path):
    catalog = Catalog(locale="uk")
    catalog.add("%(count)s accounts", "%(кількість)s рахунків", flags=["python-format"])
    with pytest.raises(SystemExit, match="errors"):
        _setup_module().compile_catalogues(_source_with(tmp_path, catalog), tmp_path / "app")
    assert not (tmp_path / "app/translations/uk/LC_MESSAGES/messages.mo").exists()


def test_the_build_hook_refuses_a_source_without_the_ukrainian_catalogue(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(SystemExit, match="translations/uk"):
        _setup_module().compile_catalogues(tmp_path / "src", tmp_path / "app")


def _config(path: Path, monkeypatch, cwd: Path, **env) -> dict:
    for name in ("OBLIK_INSTANCE_DIR", "XDG_DATA_HOME", "OBLIK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OBLIK_SECRET_KEY", "k")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)
    return runpy.run_path(str(path))


def test_an_installed_config_finds_the_packaged_catalogues_and_the_user_data_dir(tmp_path, monkeypatch):
    """config.py in site-packages (no pyproject.toml beside it): app/translations beside it,
    the instance directory in $XDG_DATA_HOME/oblik, else ~/.local/share/oblik."""
    site = tmp_path / "site-packages"
    site.mkdir()
    shutil.copy(ROOT / "config.py", site / "config.py")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = _config(site / "config.py", monkeypatch, elsewhere, HOME=str(tmp_path / "home"))
    assert config["BABEL_TRANSLATION_DIRECTORIES"] == str(site / "app" / "translations")
    assert config["INSTANCE_DIR"] == tmp_path / "home/.local/share/oblik"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/home/.local/share/oblik/oblik.db"
    config = _config(site / "config.py", monkeypatch, elsewhere, XDG_DATA_HOME=str(tmp_path / "data"))
    assert config["INSTANCE_DIR"] == tmp_path / "data/oblik"
    config = _config(site / "config.py", monkeypatch, elsewhere, OBLIK_INSTANCE_DIR="relative/inst")
    assert config["INSTANCE_DIR"] == elsewhere / "relative/inst"  # made absolute once, at start
    assert not list(elsewhere.iterdir())


def test_a_checkout_config_uses_its_own_directories_from_any_working_directory(tmp_path, monkeypatch):
    config = _config(ROOT / "config.py", monkeypatch, tmp_path)
    assert config["BABEL_TRANSLATION_DIRECTORIES"] == str(ROOT / "translations")
    assert config["INSTANCE_DIR"] == ROOT / "instance"
    assert (Path(config["BABEL_TRANSLATION_DIRECTORIES"]) / "uk/LC_MESSAGES/messages.po").is_file()


def test_the_app_takes_its_paths_from_config_not_from_the_working_directory(tmp_path, monkeypatch):
    from tests.conftest import make_app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OBLIK_INSTANCE_DIR", str(tmp_path / "inst"))
    app = make_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert Path(app.root_path) == APP
    assert Path(app.extensions["migrate"].directory) == APP / "migrations"
    assert os.path.isabs(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert app.extensions["celery"].conf.beat_schedule_filename == str(tmp_path / "inst" / "celerybeat-schedule")
    assert not list(tmp_path.iterdir())
