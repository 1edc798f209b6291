"""``/lookup/<name>``: the search-as-you-type source of every related-record picker.

Answers select2's ``{results: [{id, text}], pagination: {more}}`` one page (20 rows) at a
time, searched in the database, limited by the same role permission and building scope as
the resource's list screen — so a picker never loads a whole table and never shows an
inspector a foreign building.
"""
from dataclasses import dataclass
from typing import Callable

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import literal, or_, select
from sqlalchemy.orm import contains_eager, lazyload, selectinload

from ..extensions import current_appbuilder, db
from ..models.choices import METER_RESOURCES
from ..services import search
from ..services.reports import address_maker
from ..models import (
    Account, BenefitCategory, Building, Meter, MeterType, NetworkNode, Premise, Resident,
    Service, Tariff,
)

PAGE = 20


@dataclass(frozen=True)
class LookupSpec:
    model: type
    resource: str
    search: Callable  # (statement, text) -> statement
    order: Callable  # () -> list of order_by clauses
    joins: tuple = ()
    # loader options for the label (``str(row)``); other relations are not loaded
    label: Callable = lambda: ()
    search_order: Callable | None = None  # (text) -> order_by clauses of a search, else order()
    prepare: Callable | None = None  # (statement) -> statement: the joins of the label
    text: Callable = str  # (row) -> the option's label


def _like(text):
    return f"%{text}%"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _words(model):
    """``(statement, text) -> statement`` of the search box's words (:mod:`app.services.search`):
    every word matches the record; personal data only for who may see it."""

    def where(stmt, text):
        from ..security import may_see_personal_data

        condition = search.condition(model, text, may_see_personal_data())
        return stmt if condition is None else stmt.where(condition)

    return where


def _premise_label(premise) -> str:
    return address_maker()(premise.building.address if premise.building else "", premise.number)


def _account_label(account) -> str:
    """«0100001 Коваленко І. П. — вул. Соборна, 1, кв. 5»."""
    premise = account.premise
    return f"{account.account_number} {account.owner_name} — {_premise_label(premise)}" if premise else \
        f"{account.account_number} {account.owner_name}"


def _meter_label(meter) -> str:
    """«вул. Соборна, 1, кв. 5 — холодна вода — № 160000142»; a house meter: the building's address."""
    address = address_maker()(meter.building.address if meter.building else "",
                              meter.premise.number if meter.premise is not None else None)
    resource = str(METER_RESOURCES.label(meter.meter_type.resource)).lower() if meter.meter_type else ""
    if meter.premise_id is None:
        resource = _("%(resource)s, house meter", resource=resource)
    return " — ".join(part for part in (address, resource, f"№ {meter.serial}") if part)


def _meter_joins(stmt):
    return (stmt.join(Building, Building.id == Meter.building_id).outerjoin(Premise, Premise.id == Meter.premise_id)
            .join(MeterType, MeterType.id == Meter.meter_type_id))


def _meter_order(text):
    """Opened empty: by serial (its index); searched: by address, flat and serial."""
    if not text:
        return [Meter.serial]
    if len(text) >= 3 and _dialect() == "postgresql":  # the matches sorted, not a b-tree walked (_matches_first)
        return [Building.address.op("||")(literal("")), Premise.number.nullsfirst(), Meter.serial]
    return [Building.address, Premise.number.nullsfirst(), Meter.serial]  # a house meter first


def _matches_first(column, *then):
    """``(text) -> order_by`` of a search on ``column`` (then ``then``): by the column, as always. On
    PostgreSQL a search of three characters or more is found through the trigram index of
    migration 0004 and only the matches are sorted; ordering by the bare column would let the
    planner walk the column's b-tree in order, reading every row before the first match
    (≈ 100 ms for «Ковал» among 220,000 residents, ≈ 90 ms for a late serial prefix; sorted
    matches: 3–16 ms). ``|| ''`` keeps the order and hides the b-tree."""

    def order(text):
        if len(text) >= 3 and _dialect() == "postgresql":
            return [column.op("||")(literal("")), *then]
        return [column, *then]

    return order


LOOKUPS: dict[str, LookupSpec] = {
    "building": LookupSpec(Building, "Building",
                           _words(Building),
                           lambda: [Building.address, Building.code]),
    "premise": LookupSpec(Premise, "Premise", _words(Premise),
                          lambda: [Building.address, Premise.number], joins=(Building,),
                          search_order=_matches_first(Building.address, Premise.number),
                          label=lambda: (contains_eager(Premise.building),), text=_premise_label),
    "resident": LookupSpec(Resident, "Resident", _words(Resident),
                           lambda: [Resident.full_name], search_order=_matches_first(Resident.full_name)),
    "account": LookupSpec(Account, "Account", _words(Account), lambda: [Account.account_number],
                          search_order=_matches_first(Account.account_number),
                          prepare=lambda s: s.join(Premise, Premise.id == Account.premise_id)
                          .join(Building, Building.id == Premise.building_id),
                          label=lambda: (contains_eager(Account.premise).contains_eager(Premise.building),),
                          text=_account_label),
    "meter": LookupSpec(Meter, "Meter", _words(Meter), lambda: [Meter.serial], prepare=_meter_joins,
                        label=lambda: (contains_eager(Meter.building), contains_eager(Meter.premise),
                                       contains_eager(Meter.meter_type)),
                        search_order=_meter_order, text=_meter_label),
    "service": LookupSpec(Service, "Service",
                          lambda s, t: s.where(or_(Service.code.ilike(f"{t}%"), Service.name.ilike(_like(t)))),
                          lambda: [Service.code]),
    "tariff": LookupSpec(Tariff, "Tariff", lambda s, t: s.join(Service).where(Service.code.ilike(f"{t}%")),
                         lambda: [Tariff.valid_from.desc()], label=lambda: (selectinload(Tariff.service),)),
    "meter_type": LookupSpec(MeterType, "MeterType",
                             lambda s, t: s.where(or_(MeterType.code.ilike(f"{t}%"), MeterType.name.ilike(_like(t)))),
                             lambda: [MeterType.code]),
    "benefit_category": LookupSpec(BenefitCategory, "BenefitCategory",
                                   lambda s, t: s.where(or_(BenefitCategory.code.ilike(f"{t}%"), BenefitCategory.name.ilike(_like(t)))),
                                   lambda: [BenefitCategory.code]),
    "network_node": LookupSpec(NetworkNode, "NetworkNode",
                               lambda s, t: s.where(or_(NetworkNode.code.ilike(f"{t}%"), NetworkNode.name.ilike(_like(t)))),
                               lambda: [NetworkNode.code]),
}


def lookup_name_for(model) -> str:
    for name, spec in LOOKUPS.items():
        if spec.model is model:
            return name
    raise KeyError(f"no lookup for {model.__name__}")


def register_lookup(name, spec):
    LOOKUPS[name] = spec


def lookup_page(session, name: str, text: str, page: int):
    """(rows, more) of the lookup ``name`` for the current user."""
    from .scope import scope_query

    spec = LOOKUPS[name]
    stmt = select(spec.model)
    for join in spec.joins:
        stmt = stmt.join(join)
    if spec.prepare is not None:
        stmt = spec.prepare(stmt)
    text = (text or "").strip()[:search.MAX_TEXT]
    if text:
        stmt = spec.search(stmt, text)
    stmt = scope_query(session, spec.model, stmt)
    # Only what the label shows is loaded (the models load their many-to-one relations
    # eagerly, ``selectin``, for list screens; a picker's label needs few of them).
    stmt = stmt.options(*spec.label(), lazyload("*"))
    order = spec.search_order(text) if text and spec.search_order else spec.order()
    stmt = stmt.order_by(*order).offset(page * PAGE).limit(PAGE + 1)
    rows = list(session.scalars(stmt))
    return rows[:PAGE], len(rows) > PAGE


class LookupView(BaseView):
    route_base = "/lookup"
    class_permission_name = "Lookup"
    method_permission_name = {"lookup": "lookup"}
    default_view = "lookup"

    @expose("/<name>/")
    @has_access
    def lookup(self, name):
        spec = LOOKUPS.get(name)
        if spec is None:
            abort(404)
        if not current_appbuilder().sm.has_access("can_list", spec.resource):
            abort(403)
        try:
            page = max(0, int(request.args.get("page", "1")) - 1)
        except ValueError:
            page = 0
        if request.args.get("id", "").isdigit():  # the label of a chosen id (active filters)
            from .guard import is_id

            if not is_id(request.args["id"]):
                return jsonify(results=[], pagination={"more": False})
            from .scope import scoped_get

            row = scoped_get(db.session, spec.model, int(request.args["id"]))
            rows, more = ([row] if row is not None else []), False
        else:
            rows, more = lookup_page(db.session, name, request.args.get("q", ""), page)
        return jsonify(results=[{"id": r.id, "text": spec.text(r)} for r in rows], pagination={"more": more})


def option_label(lookup: str, row) -> str:
    """The label of ``row`` as the picker ``lookup`` shows it (a form's chosen option)."""
    spec = LOOKUPS.get(lookup)
    return spec.text(row) if spec is not None else str(row)
