"""Security headers on every response and private files (issue 8, item 5).

Every response — a screen, the API, a static file, an error — carries the headers; the
Content-Security-Policy allows inline scripts only with the response's nonce, and every
script of a page carries it. The instance directory is 0700, the SQLite database 0600, and
files written by the process are the owner's only."""
import os
import re
import stat
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.webtools import text

APP_DIR = Path(__file__).resolve().parent.parent / "app"


def _check_headers(response):
    h = response.headers
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("Referrer-Policy") == "same-origin"
    csp = h.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", csp
    assert "'unsafe-inline'" not in directives.get("script-src", "") and "'unsafe-eval'" not in csp
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'"
    return directives


@pytest.mark.parametrize("path", ["/login/", "/buildingview/list/", "/accountview/list/", "/billing/",
                                  "/users/list/", "/resetmypassword/form"])
def test_html_pages_carry_the_headers_and_every_script_the_nonce(client_as, path):
    response = client_as("admin").get(path, follow_redirects=True)
    assert response.status_code == 200
    directives = _check_headers(response)
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    scripts = re.findall(r"<script\b([^>]*)>", text(response))
    assert scripts
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes, attributes
    assert not re.search(r"<[^>]+\son[a-z]+=", text(response)), "an inline event handler"


def test_api_static_and_error_responses_carry_the_headers(app, client_as, api_token):
    client = app.test_client()
    for response in (
        client.get("/api/v1/building/", headers=api_token("admin")),            # API
        client.post("/api/v1/security/login", json={"username": "x"}),          # API error
        client.get("/static/oblik.js"),                                          # our static file
        client.get("/static/appbuilder/js/ab.js"),                               # FAB's
        client.get("/no-such-page/"),                                            # 404
        client_as("operator").get("/users/list/"),                               # refused
    ):
        _check_headers(response)


def test_a_server_error_carries_the_headers(app):
    application = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @application.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = application.test_client().get("/boom-for-test")
    assert response.status_code == 500
    _check_headers(response)


def test_our_templates_have_no_inline_scripts_or_handlers():
    for path in (APP_DIR / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\son(click|change|submit|load|input|keyup|keydown)=", source), path
        for attributes in re.findall(r"<script\b([^>]*)>", source):
            assert "nonce=" in attributes, (path, attributes)


# --- files ---------------------------------------------------------------------------------------
def test_the_instance_directory_and_the_sqlite_database_are_the_owners_only(tmp_path):
    instance = tmp_path / "instance"
    old_umask = os.umask(0o022)
    try:
        application = make_app(INSTANCE_DIR=instance,
                               SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'oblik.db'}",
                               CELERY_BROKER_URL=f"sqla+sqlite:///{instance / 'celery-broker.db'}")
        assert stat.S_IMODE(instance.stat().st_mode) == 0o700
        for name in ("oblik.db", "celery-broker.db"):
            assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600, name
        from app.extensions import db

        with application.app_context():  # SQLite writes the database (and its WAL) itself
            db.session.execute(db.text("CREATE TABLE t (x INTEGER)"))
            db.session.commit()
            db.engine.dispose()
        for path in instance.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        written = instance / "report.csv"
        written.write_text("x")  # any file the process writes
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)


def test_an_existing_instance_directory_and_database_are_tightened(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "oblik.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        make_app(INSTANCE_DIR=instance, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
