"""Oblik — облік комунальних послуг. ``create_app()`` is the application factory."""
import logging
import os
from pathlib import Path

from flask import Flask

from flask_appbuilder import AppBuilder

from .extensions import db, install_sqlite_pragmas, mail, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Flask application from ``config.py``, the environment and ``overrides``."""
    app = Flask(__name__, instance_path=os.environ.get("OBLIK_INSTANCE_DIR", str(ROOT / "instance")))
    config_file = ROOT / "config.py"
    if config_file.exists():
        app.config.from_pyfile(str(config_file))
    else:  # installed as a wheel: config.py is a top-level module
        app.config.from_object("config")
    if overrides:
        app.config.update(overrides)
    from .security import builtin_roles

    app.config["FAB_ROLES"] = builtin_roles()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(app.config.get("LOG_LEVEL", logging.WARNING))

    install_sqlite_pragmas()
    db.init_app(app)
    from flask_appbuilder import Model

    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent / "migrations"), metadata=Model.metadata,
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
        from .views import register_views

        register_views(appbuilder)
        appbuilder.post_init()
    from .tasks.celery_app import init_celery

    init_celery(app)
    return app
