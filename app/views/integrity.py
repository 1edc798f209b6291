"""A database refusal (``IntegrityError``) told as the field it concerns, for a screen or the API.

Validation (``app.validation``) finds nearly everything before a write; what only the database
can know — a key another record already has (by a race, or because the rules do not query for
it), a reference to a record that does not exist — comes back from the driver as an
``IntegrityError``. :func:`integrity_errors` finds the constraint (PostgreSQL names it; SQLite
names the columns of a UNIQUE or NOT NULL, the name of a CHECK, nothing of a FOREIGN KEY) in the
model's table and answers a :class:`FieldError` per field, in the user's language:

* UNIQUE → «A record with this <field> already exists» on the first column of the key that the
  user gives (not the parent of a card);
* CHECK → «Not a valid choice» for a closed list (``enum_check``), else «Not an allowed value»;
* FOREIGN KEY → «Unknown reference» on the relation whose id names no record;
* NOT NULL → «This field is required».
"""
import re

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, inspect as sa_inspect, select

from ..validation import FieldError
from .labels import LABELS

_UNIQUE, _CHECK, _FOREIGN, _NOT_NULL = "unique", "check", "foreign", "not_null"
_PG_CODES = {"23505": _UNIQUE, "23514": _CHECK, "23503": _FOREIGN, "23502": _NOT_NULL}


def _kind_and_detail(error):
    """(kind, constraint name or None, column names or None) of a driver's IntegrityError."""
    orig = getattr(error, "orig", error)
    diag = getattr(orig, "diag", None)
    code = getattr(orig, "pgcode", None)
    if code in _PG_CODES:
        columns = [diag.column_name] if diag is not None and getattr(diag, "column_name", None) else None
        return _PG_CODES[code], getattr(diag, "constraint_name", None), columns
    text = str(orig)
    found = re.search(r"UNIQUE constraint failed: (.+)", text)
    if found:
        return _UNIQUE, None, [part.strip().split(".")[-1] for part in found.group(1).split(",")]
    found = re.search(r"NOT NULL constraint failed: (\S+)", text)
    if found:
        return _NOT_NULL, None, [found.group(1).split(".")[-1]]
    found = re.search(r"CHECK constraint failed: (\w+)", text)
    if found:
        return _CHECK, found.group(1), None
    if "FOREIGN KEY constraint failed" in text:
        return _FOREIGN, None, None
    return None, None, None


def _field(model, column_name: str) -> str:
    """The attribute a user sets for ``column_name``: the relation of a foreign key column
    (``building`` for ``building_id``), else the column's attribute."""
    mapper = sa_inspect(model)
    for rel in mapper.relationships:
        if rel.direction.name == "MANYTOONE" and any(c.name == column_name for c in rel.local_columns):
            return rel.key
    for prop in mapper.column_attrs:
        if any(c.name == column_name for c in prop.columns):
            return prop.key
    return column_name


def _label(field: str) -> str:
    return str(LABELS.get(field, field))


def _constraint(table, name):
    for constraint in table.constraints:
        if constraint.name == name:
            return constraint
    for index in table.indexes:
        if index.name == name:
            return index
    return None


def _unique_columns(table, name, columns):
    if columns:
        return columns
    constraint = _constraint(table, name)
    if constraint is not None:
        return [c.name for c in constraint.columns]
    found = re.match(rf"^{re.escape(table.name)}_(\w+)_key$", name or "")  # PostgreSQL's own name
    return [found.group(1)] if found and found.group(1) in table.c else []


def _missing_references(session, item) -> list[str]:
    """The relations of ``item`` whose id names no record (SQLite does not say which)."""
    missing = []
    for rel in sa_inspect(type(item)).relationships:
        if rel.direction.name != "MANYTOONE" or len(rel.local_columns) != 1:
            continue
        (local,) = rel.local_columns
        value = getattr(item, local.key, None)
        target = getattr(item, rel.key, None)
        if value is None and target is not None:
            value = getattr(target, "id", None)
        if value is None:
            continue
        remote = next(iter(rel.remote_side))
        if session.scalar(select(remote).where(remote == value)) is None:
            missing.append(rel.key)
    return missing


def integrity_errors(error, item, session=None) -> list[FieldError]:
    """The field errors of an ``IntegrityError`` raised writing ``item`` (after the rollback:
    ``session`` is used only to find an unknown reference on SQLite)."""
    model = type(item)
    table = model.__table__
    kind, name, columns = _kind_and_detail(error)
    if kind == _UNIQUE:
        names = _unique_columns(table, name, columns)
        fields = [_field(model, c) for c in names] or ["id"]
        labels = ", ".join(_label(f) for f in fields)
        field = next((f for f in reversed(fields) if not sa_inspect(model).relationships.get(f)), fields[0])
        return [FieldError(field, _("A record with this %(fields)s already exists", fields=labels))]
    if kind == _CHECK:
        constraint = _constraint(table, name)
        if isinstance(constraint, CheckConstraint) and "choices" in constraint.info:
            column = constraint.info["column"]
            return [FieldError(_field(model, column), _("Not a valid choice; allowed: %(codes)s",
                                                        codes=", ".join(constraint.info["choices"])))]
        return [FieldError("id", _("The record breaks a rule of the database (%(rule)s)", rule=name or "CHECK"))]
    if kind == _FOREIGN:
        if name:
            constraint = _constraint(table, name)
            if isinstance(constraint, ForeignKeyConstraint):
                return [FieldError(_field(model, c.name), _("Unknown reference: no such record"))
                        for c in constraint.columns]
        fields = _missing_references(session, item) if session is not None else []
        return [FieldError(f, _("Unknown reference: no such record")) for f in fields] or [
            FieldError("id", _("A reference names no existing record"))]
    if kind == _NOT_NULL:
        return [FieldError(_field(model, c), _("This field is required")) for c in (columns or [])] or [
            FieldError("id", _("A required field is empty"))]
    return [FieldError("id", _("The database refused the record"))]



class RecordRefused(Exception):
    """The database refused a write; ``errors`` are its field errors (:func:`integrity_errors`)."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
