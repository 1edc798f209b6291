"""Configuration of Oblik, read by ``app.create_app()``.

Every value that differs between a laptop and production comes from the environment
(``OBLIK_*``); the defaults run the whole product with no server installed: an embedded
SQLite database and a SQLite-backed Celery transport in the instance directory
(``INSTANCE_DIR`` below).
"""
import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

# Every path below is absolute and depends on where this file lies, never on the working
# directory. config.py lies beside the package app/: in a source checkout (make install, an
# editable install) that is the checkout; in an installed wheel, site-packages.
BASE_DIR = Path(__file__).resolve().parent
SOURCE_CHECKOUT = (BASE_DIR / "pyproject.toml").is_file()


def _instance_dir() -> Path:
    """Secret key, the embedded SQLite database and broker, the admin password file:
    ``OBLIK_INSTANCE_DIR``; else ``instance/`` of a checkout, or for an installed wheel the
    user's data directory (``$XDG_DATA_HOME/oblik``, by default ``~/.local/share/oblik``)."""
    if os.environ.get("OBLIK_INSTANCE_DIR"):
        return Path(os.environ["OBLIK_INSTANCE_DIR"]).expanduser().resolve()
    if SOURCE_CHECKOUT:
        return BASE_DIR / "instance"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home).expanduser().resolve() / "oblik"


INSTANCE_DIR = _instance_dir()


def _secret_key() -> str:
    """A stable secret per installation: from the environment, else a file in instance/."""
    if os.environ.get("OBLIK_SECRET_KEY"):
        return os.environ["OBLIK_SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


APP_NAME = "Облік"
SECRET_KEY = _secret_key()

SQLALCHEMY_DATABASE_URI = os.environ.get(
    "OBLIK_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'oblik.db'}"
)
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
# SQLite: how long a write waits for another writer (an import, a billing run) before the
# user is told the database is busy (HTTP 503, «try again»), in milliseconds
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("OBLIK_SQLITE_BUSY_TIMEOUT_MS", "10000"))

# Celery: Redis in production; an embedded SQLite transport when no broker is configured.
CELERY_BROKER_URL = os.environ.get(
    "OBLIK_BROKER_URL", f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.db'}"
)
CELERY_RESULT_BACKEND = os.environ.get(
    "OBLIK_RESULT_BACKEND", f"db+sqlite:///{INSTANCE_DIR / 'celery-results.db'}"
)
CELERY_TASK_ALWAYS_EAGER = os.environ.get("OBLIK_CELERY_EAGER", "0") == "1"
# Background work that survives a killed worker (docs/development.md, «Background work and
# faults»): a billing run or an import moves its heartbeat on while it works; one silent for
# WORKER_STALE_SECONDS lost its process and is swept — by beat every SWEEP_SECONDS, and at once
# by the next Run or Close of its period.
WORKER_STALE_SECONDS = int(os.environ.get("OBLIK_WORKER_STALE_SECONDS", "45"))
SWEEP_SECONDS = int(os.environ.get("OBLIK_SWEEP_SECONDS", "15"))

# Security
AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("OBLIK_AUTH_RATE_LIMIT", "10 per 20 second")
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = os.environ.get("OBLIK_RATELIMIT_STORAGE", "memory://")
FAB_PASSWORD_COMPLEXITY_ENABLED = False
WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("OBLIK_SECURE_COOKIES", "0") == "1"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
MAX_CONTENT_LENGTH = int(os.environ.get("OBLIK_MAX_UPLOAD_MB", "50")) * 1024 * 1024
JWT_ACCESS_TOKEN_EXPIRES = 3600

FAB_ADD_SECURITY_API = False  # user admin via screens; the login API is always on
FAB_API_SWAGGER_UI = True
FAB_API_MAX_PAGE_SIZE = 100
# Alembic owns the schema and `oblik db upgrade` syncs permissions: nothing is written at start-up.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
FAB_ROLES = {}  # filled by app.security.ROLE_PERMISSIONS at start-up
FAB_BASE_TEMPLATE = "oblik/base.html"
FAB_INDEX_VIEW = "app.views.home.OblikIndexView"


# Languages: Ukrainian first and default.
BABEL_DEFAULT_LOCALE = "uk"
BABEL_DEFAULT_TIMEZONE = "Europe/Kyiv"
# Compiled catalogues: a checkout's translations/ (make install and the tests compile the .po
# there); a wheel's app/translations/ (setup.py compiles them while the wheel is built).
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations" if SOURCE_CHECKOUT
                                    else BASE_DIR / "app" / "translations")
LANGUAGES = {
    "uk": {"flag": "ua", "name": "Українська"},
    "en": {"flag": "gb", "name": "English"},
}

# Mail (invoices, reminders) — later issues use it.
MAIL_SERVER = os.environ.get("OBLIK_MAIL_SERVER", "localhost")
MAIL_PORT = int(os.environ.get("OBLIK_MAIL_PORT", "25"))
MAIL_DEFAULT_SENDER = os.environ.get("OBLIK_MAIL_SENDER", "oblik@localhost")
