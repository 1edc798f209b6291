"""Creating and upgrading a database: schema (Alembic), roles, permissions, defaults."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import Setting
from ..security import ROLE_NAMES



def N_(text: str) -> str:
    """Marks a stored description for translation; the screen translates it when shown."""
    return text


# billing.md defaults, stored as dated settings so that a change has a validity date.
DEFAULT_SETTINGS = {
    "min_persons_for_norm": ("1", N_("Persons counted for norm volumes in a premise without residents")),
    "recalculation_lookback_months": ("36", N_("How many closed months a recalculation may reach back")),
    "social_norm.area_per_person": ("21", N_("Social norm of heated area per person, m²")),
    "social_norm.area_per_household": ("10.5", N_("Social norm of heated area added per household, m²")),
    "social_norm.cold_water_per_person": ("2", N_("Cold water per person with hot water supply, m³")),
    "social_norm.cold_water_no_hot_per_person": ("3.6", N_("Cold water per person without hot water, m³")),
    "social_norm.hot_water_per_person": ("1.6", N_("Hot water per person, m³")),
    "social_norm.sewerage_per_person": ("3.6", N_("Sewerage per person, m³")),
    "social_norm.gas_cat1_per_person": ("3.3", N_("Gas, category 1, per person, m³")),
    "social_norm.gas_cat2_per_person": ("5.4", N_("Gas, category 2, per person, m³")),
    "social_norm.gas_cat3_per_person": ("10.5", N_("Gas, category 3, per person, m³")),
    "social_norm.electricity_base": ("70", N_("Electricity for the first person, kWh")),
    "social_norm.electricity_per_extra_person": ("30", N_("Electricity per further person, kWh")),
    "social_norm.electricity_max": ("190", N_("Electricity cap per household, kWh")),
    "penalty.enabled": ("0", N_("Penalty (пеня) on overdue debt: off by default")),
    "penalty.daily_pct": ("0.01", N_("Penalty per day, per cent of overdue debt")),
    "invoice.due_day": ("20", N_("Day of the following month by which an invoice is due")),
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
