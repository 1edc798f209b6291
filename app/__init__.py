"""Oblik — облік комунальних послуг. ``create_app()`` is the application factory."""
import logging
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
    app.instance_path = str(app.config["INSTANCE_DIR"])  # config.py decides it (OBLIK_INSTANCE_DIR)
    from .security import builtin_roles

    app.config["FAB_ROLES"] = builtin_roles()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(app.config.get("LOG_LEVEL", logging.WARNING))

    install_sqlite_pragmas()
    db.init_app(app)
    from flask_appbuilder import Model

    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), metadata=Model.metadata,
                     render_as_batch=True, compare_type=True)
    mail.init_app(app)
    with app.app_context():
        from . import models  # noqa: F401  (register the tables)
        from .views import formatting

        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        formatting.install(app)
        from .services import meter_history

        meter_history.install()
        from .services import audit

        audit.install()
        from .views import register_views

        register_views(appbuilder)
        appbuilder.post_init()
    from .tasks.celery_app import init_celery

    init_celery(app)
    return app
