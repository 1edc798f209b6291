"""Who imports, and what they may do: the rights of ``app.security.ROLE_RIGHTS`` and the
inspector's buildings of ``InspectorBuilding`` — the same sources as the screens, so an
import allows exactly what the forms allow, also in a Celery worker where nobody is
signed in."""
from dataclasses import dataclass

from sqlalchemy import select


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: int | None = None
    building_ids: frozenset | None = None  # None: every building
    rights: dict | None = None  # resource -> frozenset of actions; None: everything (admin, CLI)

    def may(self, resource: str, action: str) -> bool:
        return self.rights is None or action in self.rights.get(resource, ())

    @classmethod
    def system(cls, username: str) -> "Actor":
        """The command line: the operator of the server, with every right."""
        return cls(username=username)


def actor_for(session, user) -> Actor:
    """The rights and scope of a signed-in (or recorded) FAB user."""
    from ...models import InspectorBuilding
    from ...security import ROLE_RIGHTS, is_inspector

    names = {role.name for role in (user.roles or [])}
    if "admin" in names:
        rights = None
    else:
        rights = {}
        for role in names:
            for resource, actions in ROLE_RIGHTS.get(role, {}).items():
                rights[resource] = frozenset(rights.get(resource, frozenset()) | set(actions))
    building_ids = None
    if is_inspector(user):
        building_ids = frozenset(session.scalars(
            select(InspectorBuilding.building_id).where(InspectorBuilding.user_id == user.id)))
    return Actor(username=user.username, user_id=user.id, building_ids=building_ids, rights=rights)
