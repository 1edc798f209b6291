"""Configuration of Oblik, read by ``app.create_app()``.

Every value that differs between a laptop and production comes from the environment
(``OBLIK_*``); the defaults run the whole product with no server installed: an embedded
SQLite database and a SQLite-backed Celery transport under ``instance/``.
"""
import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("OBLIK_INSTANCE_DIR", BASE_DIR / "instance"))


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

# Celery: Redis in production; an embedded SQLite transport when no broker is configured.
CELERY_BROKER_URL = os.environ.get(
    "OBLIK_BROKER_URL", f"sqla+sqlite:///{INSTANCE_DIR / 'celery-broker.db'}"
)
CELERY_RESULT_BACKEND = os.environ.get(
    "OBLIK_RESULT_BACKEND", f"db+sqlite:///{INSTANCE_DIR / 'celery-results.db'}"
)
CELERY_TASK_ALWAYS_EAGER = os.environ.get("OBLIK_CELERY_EAGER", "0") == "1"

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
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "uk": {"flag": "ua", "name": "Українська"},
    "en": {"flag": "gb", "name": "English"},
}

# Mail (invoices, reminders) — later issues use it.
MAIL_SERVER = os.environ.get("OBLIK_MAIL_SERVER", "localhost")
MAIL_PORT = int(os.environ.get("OBLIK_MAIL_PORT", "25"))
MAIL_DEFAULT_SENDER = os.environ.get("OBLIK_MAIL_SENDER", "oblik@localhost")
