"""Oblik — облік комунальних послуг. ``create_app()`` is the application factory."""
import logging
import os
from pathlib import Path

from flask import Flask

from flask_appbuilder import AppBuilder

from .extensions import db, install_sqlite_pragmas, mail, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
# config.py lies beside this package: in the checkout, or in site-packages for a wheel. It is
# read from that file, never imported by name (a config.py in the working directory, which
# gunicorn and celery put first on sys.path, must not take its place).
CONFIG_FILE = PACKAGE_DIR.parent / "config.py"


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask application from ``config.py``, the environment and ``overrides``."""
    app = Flask(__name__)
    app.config.from_pyfile(str(CONFIG_FILE))
    if overrides:
        app.config.update(overrides)
    utc_sessions(app)
    app.instance_path = str(app.config["INSTANCE_DIR"])  # config.py decides it (OBLIK_INSTANCE_DIR)
    from .security import builtin_roles

    app.config["FAB_ROLES"] = builtin_roles()
    secure_files(app)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(app.config.get("LOG_LEVEL", logging.WARNING))

    from .views import guard

    guard.install_converter(app)  # before any route: <int:…> bounded to a database integer
    install_sqlite_pragmas()
    db.init_app(app)
    from flask_appbuilder import Model

    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), metadata=Model.metadata,
                     render_as_batch=True, compare_type=True)
    mail.init_app(app)
    with app.app_context():
        from . import models  # noqa: F401  (register the tables)
        from .views import auth, formatting, headers

        app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", auth.password_policy_validator)
        appbuilder = AppBuilder(update_perms=False, security_manager_class=auth.OblikSecurityManager)
        appbuilder.init_app(app, db.session)
        formatting.install(app)
        from .views import back

        back.install(app)  # after FAB's filters: the card's links lead back to it
        _favicon(app)
        headers.install(app)
        auth.install(app)
        from .services import meter_history

        meter_history.install()
        from .services import audit

        audit.install()
        from .views import register_views

        register_views(appbuilder)
        appbuilder.post_init()
        guard.install(app)  # bad parameters → 400; the last resort for errors: logged, a Ukrainian 500
        guard.install_jwt(appbuilder.sm.jwt_manager)
    from .tasks.celery_app import init_celery

    init_celery(app)
    return app


def _favicon(app) -> None:
    """``/favicon.ico`` (browsers ask for it on every site; the layout links the SVG too)."""
    from flask import send_from_directory

    def favicon():
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)

    app.add_url_rule("/favicon.ico", "favicon", favicon)


def utc_sessions(app) -> None:
    """Every stamp is stored in UTC (``func.now()``, the server defaults) and shown in Kyiv
    time (``app/views/formatting.py``): a PostgreSQL session's time zone is UTC whatever the
    server's ``timezone`` says (SQLite's CURRENT_TIMESTAMP is UTC already)."""
    if not str(app.config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect = dict(options.get("connect_args") or {})
    if "timezone" not in connect.get("options", ""):
        connect["options"] = (connect.get("options", "") + " -c timezone=UTC").strip()
    options["connect_args"] = connect
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_files(app) -> list[Path]:
    from sqlalchemy.engine import make_url

    files = []
    for key in ("SQLALCHEMY_DATABASE_URI", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        value = app.config.get(key) or ""
        if "sqlite" not in value.split("://", 1)[0]:
            continue
        database = make_url(value.split("+", 1)[1] if value.startswith(("sqla+", "db+")) else value).database
        if database and database != ":memory:":
            files.append(Path(database))
    return files


def secure_files(app) -> None:
    """The instance directory (0700) and the embedded SQLite databases (0600) are the owner's
    only, and so is every file the process writes (``FILE_UMASK``, default 077). The instance
    directory is created here only when a SQLite database lives in it (it needs the directory);
    existing ones, and existing databases, are tightened."""
    if app.config.get("FILE_UMASK") is not None:
        os.umask(app.config["FILE_UMASK"])
    instance = Path(app.instance_path)
    files = _sqlite_files(app)
    if any(path.parent == instance for path in files):
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    if instance.is_dir() and instance.stat().st_uid == os.getuid():
        instance.chmod(0o700)
    for path in files:
        if not path.parent.is_dir():
            continue
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if path.stat().st_uid == os.getuid():
            path.chmod(0o600)
