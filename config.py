"""Configuration of Oblik, read by ``app.create_app()``.

Every value that differs between a laptop and production comes from the environment
(``OBLIK_*``); the defaults run the whole product with no server installed: an embedded
SQLite database and a SQLite-backed Celery transport in the instance directory
(``INSTANCE_DIR`` below).
"""
import os
import secrets
from datetime import timedelta
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
    INSTANCE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
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
# One password policy (app/services/users.py): ≥ 10 characters, not among the 10,000 most
# common passwords, not the username; FAB's user forms call it through this validator.
FAB_PASSWORD_COMPLEXITY_ENABLED = True
# Sessions (app/services/sessions.py): a session unused this long is refused; a logout or a
# password change ends every session and API token of the user.
SESSION_IDLE_MINUTES = int(os.environ.get("OBLIK_SESSION_IDLE_MINUTES", "480"))
# a permanent session's cookie (Flask's default: 31 days) lives no longer than the idle limit
PERMANENT_SESSION_LIFETIME = timedelta(minutes=SESSION_IDLE_MINUTES)
# Failed sign-ins, counted in the database for every process: an account is locked after
# LOGIN_ACCOUNT_FAILURES failures, a client address after LOGIN_IP_FAILURES (within
# LOGIN_FAILURE_WINDOW_SECONDS), for LOGIN_LOCK_SECONDS, doubled after each further lockout up
# to LOGIN_LOCK_MAX_SECONDS; the backoff is forgotten after LOGIN_LOCKOUT_MEMORY_SECONDS.
LOGIN_THROTTLE_ENABLED = os.environ.get("OBLIK_LOGIN_THROTTLE", "1") == "1"
LOGIN_ACCOUNT_FAILURES = int(os.environ.get("OBLIK_LOGIN_ACCOUNT_FAILURES", "5"))
LOGIN_IP_FAILURES = int(os.environ.get("OBLIK_LOGIN_IP_FAILURES", "20"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("OBLIK_LOGIN_FAILURE_WINDOW", "900"))
LOGIN_LOCK_SECONDS = int(os.environ.get("OBLIK_LOGIN_LOCK_SECONDS", "60"))
LOGIN_LOCK_MAX_SECONDS = int(os.environ.get("OBLIK_LOGIN_LOCK_MAX_SECONDS", "3600"))
LOGIN_LOCKOUT_MEMORY_SECONDS = 86400
# Behind a reverse proxy: how many proxies set X-Forwarded-For (the client address of the
# per-address limit); 0 = the connection's address.
TRUSTED_PROXIES = int(os.environ.get("OBLIK_TRUSTED_PROXIES", "0"))
# Files the processes write (the SQLite database, the broker, beat's schedule, uploads) are
# the owner's only; the instance directory is created 0700.
FILE_UMASK = int(os.environ.get("OBLIK_UMASK", "077"), 8)
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

# Mail (invoices, reminders; docs/invoices.md «Розсилка рахунків e-mail»): the defaults of the
# «Розсилка» screen's settings — a field filled in on the screen wins, except the password: the
# environment's OBLIK_MAIL_PASSWORD wins over one stored in the database.
MAIL_SERVER = os.environ.get("OBLIK_MAIL_SERVER", "localhost")
MAIL_PORT = int(os.environ.get("OBLIK_MAIL_PORT", "25"))
MAIL_SECURITY = os.environ.get("OBLIK_MAIL_SECURITY", "none")  # none | starttls | ssl
MAIL_USERNAME = os.environ.get("OBLIK_MAIL_USERNAME", "")
MAIL_PASSWORD = os.environ.get("OBLIK_MAIL_PASSWORD", "")
MAIL_DEFAULT_SENDER = os.environ.get("OBLIK_MAIL_SENDER", "oblik@localhost")
MAIL_BOUNCE_ADDRESS = os.environ.get("OBLIK_MAIL_BOUNCE", "")  # the envelope sender; empty: the sender
MAIL_RATE_PER_MINUTE = int(os.environ.get("OBLIK_MAIL_RATE", "60"))
MAIL_ENABLED = os.environ.get("OBLIK_MAIL_ENABLED", "1") == "1"
MAIL_TIMEOUT_SECONDS = int(os.environ.get("OBLIK_MAIL_TIMEOUT", "30"))
# a temporary error is tried again after MAIL_RETRY_SECONDS, doubled each time (at most an
# hour), MAIL_MAX_ATTEMPTS times in all; then the message is failed
MAIL_RETRY_SECONDS = int(os.environ.get("OBLIK_MAIL_RETRY_SECONDS", "60"))
MAIL_MAX_ATTEMPTS = int(os.environ.get("OBLIK_MAIL_MAX_ATTEMPTS", "8"))
# the address the links of e-mails (unsubscribe, readings) point to: the app's public address
# (default: what `make run` serves; set it in production)
PUBLIC_URL = os.environ.get("OBLIK_PUBLIC_URL", "http://127.0.0.1:8080")
