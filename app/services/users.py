"""Users: creating them with one of Oblik's roles (and an inspector's buildings), their
passwords — the one password policy of every entry point (user screens, own password change,
the API's sign-in checks nothing else, the command line) — and changing a password."""
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import current_appbuilder, db
from ..models import Building, InspectorBuilding
from ..security import ROLE_NAMES


class UserError(Exception):
    pass


PASSWORD_MIN_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower-cased (shipped in the package, in the wheel)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("# "))


def password_problem(password: str | None, username: str | None = None) -> str | None:
    """Why a password is refused (one Ukrainian sentence naming the field and the reason), or
    None: at least 10 characters, not one of the common passwords, not the username and not
    containing it."""
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _("Password: at least %(n)d characters are required", n=PASSWORD_MIN_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return _("Password: this password is among the most common ones; choose another")
    name = (username or "").strip().lower()
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        return _("Password: it must not be the username or contain it")
    return None


def check_password(password: str | None, username: str | None = None) -> None:
    """Raise :class:`UserError` when the policy refuses the password."""
    problem = password_problem(password, username)
    if problem:
        raise UserError(problem)


def change_password(username, password):
    """Set a user's password (the policy first); every session and API token of the user ends
    (``app.services.sessions``: the password change bumps the session version)."""
    sm = current_appbuilder().sm
    user = sm.find_user(username=username)
    if user is None:
        raise UserError(_("User %(name)s: no such user", name=username))
    check_password(password, user.username)
    sm.reset_password(user.id, password)
    return user


def create_user(username, password, role, buildings=(), email=None, first_name=None, last_name=None):
    sm = current_appbuilder().sm
    if role not in ROLE_NAMES:
        raise UserError(f"Невідома роль {role!r}; можливі: {', '.join(ROLE_NAMES)}")
    check_password(password, username)
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
