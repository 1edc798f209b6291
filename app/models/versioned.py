"""Row versions: two users editing one record — the second save of a stale form is refused.

A model that mixes in :class:`Versioned` has a ``version`` column (1 when inserted, by the
database too, so bulk inserts need not know it) that SQLAlchemy uses as its
``version_id_col``: every ORM ``UPDATE`` adds ``WHERE version = <the version read>`` and
``SET version = version + 1``; if another transaction changed the row meanwhile, the
``UPDATE`` matches nothing and SQLAlchemy raises ``StaleDataError`` — nothing written. Bulk
updates outside the ORM (imports) move the version on themselves (``VERSIONED_TABLES``).

The form and the API carry the version the user saw (a hidden field, an ``If-Match`` header or a
``version`` field): a save with an older one is refused before anything is written
(:mod:`app.services.concurrency`).
"""
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declared_attr


class Versioned:
    version = Column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def is_versioned(model_or_table) -> bool:
    table = getattr(model_or_table, "__table__", model_or_table)
    return "version" in table.c and table.name in VERSIONED_TABLES


# The registry records two users edit: the tables of migration 0012.
VERSIONED_TABLES = ("building", "premise", "resident", "account", "account_service", "meter", "tariff")
