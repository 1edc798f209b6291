"""Creating and upgrading a database: schema (Alembic), roles, permissions, defaults."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..billing.settings import DEFAULT_SETTINGS
from ..extensions import current_appbuilder, db
from ..models import Setting
from ..security import ROLE_NAMES


def upgrade_database():
    """Migrate to the newest schema, then make roles, permissions and default settings."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    # A migration may change a connection's settings for its own steps (0018 turns SQLite's
    # foreign keys off for a table copy; inside the migration's transaction turning them on
    # again is a no-op): no connection of the migration goes back to the pool. New connections
    # get the settings of app/extensions.py (foreign keys on).
    from ..extensions import db

    db.session.remove()
    db.engine.dispose()
    sync_security()
    seed_settings()


def sync_security():
    appbuilder = current_appbuilder()
    sm = appbuilder.sm
    for role in ROLE_NAMES:
        sm.add_role(role)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)
    db.session.commit()


def seed_settings():
    existing = set(db.session.scalars(select(Setting.key)))
    for key, (value, description) in DEFAULT_SETTINGS.items():
        if key not in existing:
            db.session.add(Setting(key=key, valid_from=date(2000, 1, 1), value=value, description=description))
    db.session.commit()
