"""Імпорт: the record of every import — who loaded which file, what it did, and the report of
its rejected rows — kept so that anyone can look at it later."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, LargeBinary, String, Text, false, func,
)
from sqlalchemy.orm import deferred, relationship

from .choices import Choices
from .types import enum_check

IMPORT_STATUSES = Choices(
    ("uploaded", _l("Uploaded")),
    ("checking", _l("Checking")),
    ("ready", _l("Checked, ready to write")),
    ("checked", _l("Checked (dry run)")),
    ("rejected", _l("Rejected rows: nothing written")),
    ("failed", _l("Unreadable file: nothing written")),
    ("committing", _l("Writing")),
    ("committed", _l("Written")),
    ("cancelled", _l("Cancelled")),
)
# Statuses in which a background task is still working on the record.
IMPORT_RUNNING = ("uploaded", "checking", "committing")


class ImportRecord(Model):
    """One import of one file (реєстр, довідник або щомісячний файл)."""

    __tablename__ = "import_record"
    __table_args__ = (enum_check("status", IMPORT_STATUSES.codes, "ck_import_record_status"),)
    id = Column(Integer, primary_key=True)
    kind = Column(String(30), nullable=False, index=True)
    file_name = Column(String(255), nullable=False)
    file_size = Column(BigInteger, nullable=False)
    sha256 = Column(String(64), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    user = relationship("User")
    username = Column(String(128), nullable=False)  # kept when the user is deleted; CLI: the OS user
    channel = Column(String(10), nullable=False, default="web")  # web | cli
    dry_run = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default="uploaded")
    created_at = Column(DateTime, nullable=False, server_default=func.now(), index=True)
    finished_at = Column(DateTime)
    total_rows = Column(Integer)
    created = Column(Integer)
    updated = Column(Integer)
    unchanged = Column(Integer)
    rejected = Column(Integer)
    progress_done = Column(Integer, nullable=False, default=0)
    progress_total = Column(Integer)
    message = Column(Text)                 # why an unreadable file was refused
    warnings = Column(JSON)                # ["Unknown column «x» ignored", …]
    problems = Column(JSON)                # rejected-row report: [{row, column, value, message}]
    problems_truncated = Column(Boolean, nullable=False, default=False)
    sample = Column(JSON)                  # first rows as they will be stored
    task_id = Column(String(50))
    heartbeat_at = Column(DateTime)        # moved on while a process checks or writes the file
    content = deferred(Column(LargeBinary))  # the uploaded file, until written or cancelled
    totals = Column(JSON)                  # control totals: rows, the sum of the amounts, the dates
    partial = Column(Boolean, nullable=False, default=False, server_default=false())  # valid rows only
    rejected_file = deferred(Column(LargeBinary))  # a partial write's rejected rows, with their reasons

    def __repr__(self):
        return f"{self.kind} {self.file_name} ({self.status})"
