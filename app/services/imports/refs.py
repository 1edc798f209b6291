"""Loading the records a file refers to (buildings, premises, accounts, meters…) for the whole
file at once: a few ``IN`` queries of at most :data:`CHUNK` values each, never one per row
(5,000 values, or 10,000 parameters for a pair: within SQLite's 32,766)."""
from sqlalchemy import select, tuple_
from sqlalchemy.orm import contains_eager, joinedload

from ...models import Account, Building, Meter, Premise
from ..sql import PART as CHUNK, parts as chunks  # noqa: F401  (the importers' name)


def ACCOUNT_OPTIONS():  # noqa: N802  (built when first used: the mappers are configured by then)
    return (joinedload(Account.premise),)


def METER_OPTIONS():  # noqa: N802
    return (joinedload(Meter.meter_type),)


def by_code(model, attribute, options=None):
    """A loader of ``model`` rows by one unique text column: ``{(code,): row}``;
    ``options()`` gives the loader options (eager loads)."""

    def load(session, wanted):
        found = {}
        codes = {w[0] for w in wanted}
        for chunk in chunks(codes):
            stmt = select(model).where(attribute.in_(chunk))
            if options:
                stmt = stmt.options(*options())
            for row in session.scalars(stmt).unique():
                found[(getattr(row, attribute.key),)] = row
        return found

    return load


def by_id(model, options=None):
    """A loader of ``model`` rows by id: ``{id: row}``."""

    def load(session, ids):
        found = {}
        for chunk in chunks(set(ids)):
            stmt = select(model).where(model.id.in_(chunk))
            if options:
                stmt = stmt.options(*options())
            for row in session.scalars(stmt).unique():
                found[row.id] = row
        return found

    return load


def premise_by_building_number(session, wanted):
    """Premises named by (building code, number): ``{(code, number): premise}``."""
    found = {}
    for chunk in chunks(wanted):
        stmt = (select(Premise).join(Premise.building).options(contains_eager(Premise.building))
                .where(tuple_(Building.code, Premise.number).in_(chunk)))
        for premise in session.scalars(stmt).unique():
            found[(premise.building.code, premise.number)] = premise
    return found
