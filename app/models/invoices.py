"""Рахунки на оплату: the background builds of a period's invoices (issue 9 §2).

* ``InvoiceBuild`` — one build of the invoices of a period (the whole town, one building or one
  account) into a directory: who started it, its status (running → done or failed), its
  progress by building and its totals. At most one build of a period runs at a time: a partial
  unique index on ``period`` where ``status = 'running'`` refuses a second one in the database.
  ``heartbeat_at`` moves on while a process builds a chunk of it; a build silent for
  ``WORKER_STALE_SECONDS`` was left by a process that died and is swept (failed; started
  again, it builds only its unfinished chunks).
* ``InvoiceChunk`` — a chunk of a build: one building. ``finished_at`` is set in the same
  transaction that adds the building to the build's progress, so a chunk delivered twice adds
  nothing twice; ``attempts`` counts how often a worker took it up.
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, func, text

from .choices import Choices
from .types import enum_check

BUILD_STATUSES = Choices(("running", _l("Running")), ("done", _l("Done")), ("failed", _l("Failed")))


class InvoiceBuild(Model):
    """One build of a period's invoices (PDF files in ``directory``)."""

    __tablename__ = "invoice_build"
    __table_args__ = (
        enum_check("status", BUILD_STATUSES.codes, "ck_invoice_build_status"),
        Index("uq_invoice_build_running", "period", unique=True,
              sqlite_where=text("status = 'running'"), postgresql_where=text("status = 'running'")),
    )
    id = Column(Integer, primary_key=True)
    period = Column(String(7), nullable=False, index=True)
    status = Column(String(10), nullable=False, default="running")
    preliminary = Column(Boolean, nullable=False, default=False)  # the open period's draft
    account_id = Column(Integer, ForeignKey("account.id", ondelete="SET NULL"))  # a build of one account
    building_id = Column(Integer, ForeignKey("building.id", ondelete="SET NULL"))  # … or of one building
    directory = Column(String(1000), nullable=False)
    started_by = Column(String(100))
    started_at = Column(DateTime, nullable=False, server_default=func.now())
    finished_at = Column(DateTime)
    heartbeat_at = Column(DateTime)
    task_id = Column(String(50))
    chunks_total = Column(Integer, nullable=False, default=0)
    chunks_done = Column(Integer, nullable=False, default=0)
    buildings_total = Column(Integer, nullable=False, default=0)
    buildings_done = Column(Integer, nullable=False, default=0)
    accounts = Column(Integer, nullable=False, default=0)
    files = Column(Integer, nullable=False, default=0)
    message = Column(Text)

    def __repr__(self):
        return f"{self.period} № {self.id}"


class InvoiceChunk(Model):
    """A building of a build: how often a worker took it up, when it was done, what it wrote."""

    __tablename__ = "invoice_chunk"
    build_id = Column(Integer, ForeignKey("invoice_build.id", ondelete="CASCADE"), primary_key=True)
    building_id = Column(Integer, primary_key=True, autoincrement=False)
    seq = Column(Integer, nullable=False)  # delivery order of the buildings (by code)
    building_code = Column(String(50), nullable=False)  # as at the start: the directory's name
    attempts = Column(Integer, nullable=False, default=0)
    heartbeat_at = Column(DateTime)
    finished_at = Column(DateTime)
    accounts = Column(Integer, nullable=False, default=0)
    files = Column(Integer, nullable=False, default=0)


__all__ = ["InvoiceBuild", "InvoiceChunk"]
