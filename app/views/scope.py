"""Row-level restriction: an inspector (контролер) sees only the buildings assigned to them.

Every list, show, edit, delete, related picker, export and API endpoint goes through
``BuildingScopeFilter`` (a FAB base filter) or ``scoped_get``; both use ``building_condition``
— the one place that knows how each model reaches its building.

Everything reaches its building through its premise, account or meter; the one building stored
twice, ``meter.building_id``, the database keeps equal to its premise's (migration 0011: a
premise moved to another building takes its meters along), and a group-meter link is seen only
when both its house meter and its premise are in the inspector's buildings.
"""
from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user
from sqlalchemy import and_, exists, false, not_, or_, select

from ..models import (
    Account, AccountService, Building, ClaimAct, ClaimActTarget, GroupMeterPremise, InspectorBuilding, Meter, MeterEvent,
    Payment, Premise, Reading, Registration, Subsidy,
)
from ..security import is_inspector


def request_user():
    """The signed-in user of this request — the browser session's, else the REST API's JWT
    user (FAB sets ``g.user`` when it verifies the token; flask-login knows nothing of it)."""
    if getattr(current_user, "is_authenticated", False):
        return current_user
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False):
        return user
    return None


def allowed_building_ids(session) -> list[int] | None:
    """None = no restriction; else the ids of the current inspector's buildings."""
    user = request_user()
    if user is None:
        return []
    if not is_inspector(user):
        return None
    cached = g.get("_oblik_building_ids")
    if cached is None:
        cached = list(session.scalars(
            select(InspectorBuilding.building_id).where(InspectorBuilding.user_id == user.id)
        ))
        g._oblik_building_ids = cached
    return cached


def _premises_in(ids):
    return select(Premise.id).where(Premise.building_id.in_(ids))


def _meters_in(ids):
    return select(Meter.id).where(Meter.building_id.in_(ids))


def _accounts_in(ids):
    return select(Account.id).where(Account.premise_id.in_(_premises_in(ids)))


def _targets_outside(ids):
    """Coverage an inspector may not see: a network node (many buildings), a building or an
    account of a building not theirs."""
    return or_(ClaimActTarget.network_node_id.is_not(None),
               and_(ClaimActTarget.building_id.is_not(None), ClaimActTarget.building_id.not_in(ids)),
               and_(ClaimActTarget.account_id.is_not(None), ClaimActTarget.account_id.not_in(_accounts_in(ids))))


def _claim_acts_in(ids):
    """An inspector's claim acts: nothing they cover is outside the inspector's buildings, and
    they cover something or the inspector drafted them (a new act, before its coverage)."""
    user = request_user()
    mine = ClaimAct.created_by == getattr(user, "username", None)
    outside = exists().where(ClaimActTarget.act_id == ClaimAct.id, _targets_outside(ids))
    covers = exists().where(ClaimActTarget.act_id == ClaimAct.id)
    return and_(not_(outside), or_(covers, mine))


BUILDING_PATHS = {
    Building: lambda ids: Building.id.in_(ids),
    Premise: lambda ids: Premise.building_id.in_(ids),
    Meter: lambda ids: Meter.building_id.in_(ids),
    MeterEvent: lambda ids: MeterEvent.meter_id.in_(_meters_in(ids)),
    Reading: lambda ids: Reading.meter_id.in_(_meters_in(ids)),
    # both ends: a link never shows a premise of another building (nor a foreign house meter)
    GroupMeterPremise: lambda ids: and_(GroupMeterPremise.meter_id.in_(_meters_in(ids)),
                                        GroupMeterPremise.premise_id.in_(_premises_in(ids))),
    Registration: lambda ids: Registration.premise_id.in_(_premises_in(ids)),
    Account: lambda ids: Account.premise_id.in_(_premises_in(ids)),
    AccountService: lambda ids: AccountService.account_id.in_(_accounts_in(ids)),
    Payment: lambda ids: Payment.account_id.in_(_accounts_in(ids)),
    Subsidy: lambda ids: Subsidy.account_id.in_(_accounts_in(ids)),
    ClaimAct: _claim_acts_in,
    ClaimActTarget: lambda ids: and_(not_(_targets_outside(ids)),
                                     ClaimActTarget.act_id.in_(select(ClaimAct.id).where(_claim_acts_in(ids)))),
}


def building_condition(model, ids):
    """SQL condition limiting ``model`` rows to the buildings ``ids``. Models without a
    building (catalogs) are not restricted by building; role permissions guard them."""
    path = BUILDING_PATHS.get(model)
    if path is None:
        return None
    if not ids:
        return false()
    return path(ids)


def scope_query(session, model, query):
    ids = allowed_building_ids(session)
    if ids is None:
        return query
    condition = building_condition(model, ids)
    return query if condition is None else query.filter(condition)


def scoped_get(session, model, pk):
    """The row ``pk`` of ``model`` if the current user may see it, else None."""
    stmt = select(model).where(model.id == pk)
    ids = allowed_building_ids(session)
    if ids is not None:
        condition = building_condition(model, ids)
        if condition is not None:
            stmt = stmt.where(condition)
    return session.scalars(stmt).first()


class BuildingScopeFilter(BaseFilter):
    """FAB base filter applying ``scope_query``; the value is ignored."""

    name = "Building scope"

    def apply(self, query, value):
        return scope_query(self.datamodel.session, self.model, query)
