"""Creating and upgrading a database: schema (Alembic), roles, permissions, defaults."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import Setting
from ..security import ROLE_NAMES

# billing.md defaults, stored as dated settings so that a change has a validity date.
DEFAULT_SETTINGS = {
    "min_persons_for_norm": ("1", "Persons counted for norm volumes in a premise without residents"),
    "recalculation_lookback_months": ("36", "How many closed months a recalculation may reach back"),
    "social_norm.area_per_person": ("21", "Social norm of heated area per person, m²"),
    "social_norm.area_per_household": ("10.5", "Social norm of heated area added per household, m²"),
    "social_norm.cold_water_per_person": ("2", "Cold water per person with hot water supply, m³"),
    "social_norm.cold_water_no_hot_per_person": ("3.6", "Cold water per person without hot water, m³"),
    "social_norm.hot_water_per_person": ("1.6", "Hot water per person, m³"),
    "social_norm.sewerage_per_person": ("3.6", "Sewerage per person, m³"),
    "social_norm.gas_cat1_per_person": ("3.3", "Gas, category 1, per person, m³"),
    "social_norm.gas_cat2_per_person": ("5.4", "Gas, category 2, per person, m³"),
    "social_norm.gas_cat3_per_person": ("10.5", "Gas, category 3, per person, m³"),
    "social_norm.electricity_base": ("70", "Electricity for the first person, kWh"),
    "social_norm.electricity_per_extra_person": ("30", "Electricity per further person, kWh"),
    "social_norm.electricity_max": ("190", "Electricity cap per household, kWh"),
    "penalty.enabled": ("0", "Penalty (пеня) on overdue debt: off by default"),
    "penalty.daily_pct": ("0.01", "Penalty per day, % of overdue debt"),
    "invoice.due_day": ("20", "Day of the following month by which an invoice is due"),
}


def upgrade_database():
    """Migrate to the newest schema, then make roles, permissions and default settings."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
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
