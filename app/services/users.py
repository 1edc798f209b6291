"""Creating users with one of Oblik's roles (and an inspector's buildings)."""
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import Building, InspectorBuilding
from ..security import ROLE_NAMES


class UserError(Exception):
    pass


def create_user(username, password, role, buildings=(), email=None, first_name=None, last_name=None):
    sm = current_appbuilder().sm
    if role not in ROLE_NAMES:
        raise UserError(f"Невідома роль {role!r}; можливі: {', '.join(ROLE_NAMES)}")
    if not password or len(password) < 8:
        raise UserError("Пароль має містити щонайменше 8 символів")
    if sm.find_user(username=username):
        raise UserError(f"Користувач {username!r} уже існує")
    codes = [c.strip() for c in buildings if c.strip()]
    found = {b.code: b for b in db.session.scalars(select(Building).where(Building.code.in_(codes)))} if codes else {}
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError(f"Невідомі будинки: {', '.join(missing)}")
    if codes and role != "inspector":
        raise UserError("Будинки призначаються лише контролерам (роль inspector)")
    user = sm.add_user(
        username=username,
        first_name=first_name or username,
        last_name=last_name or "-",
        email=email or f"{username}@oblik.local",
        role=sm.find_role(role),
        password=password,
    )
    if not user:
        raise UserError(f"Не вдалося створити користувача {username!r}")
    for code in codes:
        db.session.add(InspectorBuilding(user_id=user.id, building_id=found[code].id))
    db.session.commit()
    return user
