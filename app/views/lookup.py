"""``/lookup/<name>``: the search-as-you-type source of every related-record picker.

Answers select2's ``{results: [{id, text}], pagination: {more}}`` one page (20 rows) at a
time, searched in the database, limited by the same role permission and building scope as
the resource's list screen — so a picker never loads a whole table and never shows an
inspector a foreign building.
"""
from dataclasses import dataclass
from typing import Callable

from flask import abort, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import literal, or_, select
from sqlalchemy.orm import contains_eager, lazyload, selectinload

from ..extensions import current_appbuilder, db
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


def _like(text):
    return f"%{text}%"


def _premise_search(stmt, text):
    """Every word must match the address or code of the building, or (if it has a digit) the
    premise number: «Шевченка 12 5» finds flat 5 of Шевченка, 12."""
    for token in text.split():
        number = token.removeprefix("кв.").strip()
        conditions = [Building.address.ilike(_like(token)), Building.code == token]
        if any(ch.isdigit() for ch in number):
            conditions.append(Premise.number == number)
        stmt = stmt.where(or_(*conditions))
    return stmt


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _plain(text) -> bool:
    """No letters (so no case) and no LIKE wildcard or escape: ``ILIKE 'text%'`` is then the
    same as ``LIKE`` and as a range of the column's binary order."""
    return all(ch.isascii() and not ch.isalpha() and ch not in "%_\\" for ch in text)


def _meter_search(stmt, text):
    """A serial starting with ``text``. Serials are mostly digits: such a prefix is a range
    of the unique index on SQLite (whose LIKE and lower() cannot use it) and a plain LIKE on
    PostgreSQL (served, like ILIKE, by the trigram index of migration 0004)."""
    if not _plain(text):
        return stmt.where(Meter.serial.ilike(f"{text}%"))
    if _dialect() == "sqlite":
        following = text[:-1] + chr(ord(text[-1]) + 1)
        return stmt.where(Meter.serial >= text, Meter.serial < following)
    return stmt.where(Meter.serial.like(f"{text}%"))


def _matches_first(column):
    """``(text) -> order_by`` of a search on ``column``: by the column, as always. On
    PostgreSQL a search of three characters or more is found through the trigram index of
    migration 0004 and only the matches are sorted; ordering by the bare column would let the
    planner walk the column's b-tree in order, reading every row before the first match
    (≈ 100 ms for «Ковал» among 220,000 residents, ≈ 90 ms for a late serial prefix; sorted
    matches: 3–16 ms). ``|| ''`` keeps the order and hides the b-tree."""

    def order(text):
        if len(text) >= 3 and _dialect() == "postgresql":
            return [column.op("||")(literal(""))]
        return [column]

    return order


LOOKUPS: dict[str, LookupSpec] = {
    "building": LookupSpec(Building, "Building",
                           lambda s, t: s.where(or_(Building.code.ilike(f"{t}%"), Building.address.ilike(_like(t)))),
                           lambda: [Building.address, Building.code]),
    "premise": LookupSpec(Premise, "Premise", _premise_search,
                          lambda: [Building.address, Premise.number], joins=(Building,),
                          label=lambda: (contains_eager(Premise.building),)),
    "resident": LookupSpec(Resident, "Resident",
                           lambda s, t: s.where(or_(Resident.full_name.ilike(_like(t)), Resident.resident_id == t)),
                           lambda: [Resident.full_name], search_order=_matches_first(Resident.full_name)),
    "account": LookupSpec(Account, "Account",
                          lambda s, t: s.where(or_(Account.account_number.ilike(f"{t}%"), Account.owner_name.ilike(_like(t)))),
                          lambda: [Account.account_number]),
    "meter": LookupSpec(Meter, "Meter", _meter_search, lambda: [Meter.serial],
                        search_order=_matches_first(Meter.serial)),
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
    text = (text or "").strip()[:100]
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
        return jsonify(results=[{"id": r.id, "text": str(r)} for r in rows], pagination={"more": more})
