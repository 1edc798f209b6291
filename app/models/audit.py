"""Журнал змін (the audit log): who created, changed or deleted which registry record, when,
from where, and every changed field's old and new value. Append-only, like the journal:
database triggers (migration 0008) refuse UPDATE and DELETE. The codes of ``source`` and
``action``: ``app.models.choices.AUDIT_SOURCES`` / ``AUDIT_ACTIONS``. Written by
:mod:`app.services.audit` only."""
from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, Text, func


class AuditLog(Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_record", "table_name", "record_id"),
        CheckConstraint("source IN ('web', 'api', 'import', 'cli', 'task', 'system', 'online')", name="ck_audit_log_source"),
        CheckConstraint("action IN ('insert', 'update', 'delete')", name="ck_audit_log_action"),
    )
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, server_default=func.now(), index=True)
    user_id = Column(Integer)  # no foreign key: the log outlives a deleted user
    username = Column(String(100), index=True)
    source = Column(String(10), nullable=False)
    table_name = Column(String(64), nullable=False)
    record_id = Column(Integer, nullable=False)
    action = Column(String(10), nullable=False)
    # {field: [old, new]} as JSON; money and other decimals as strings (exact), dates ISO
    changes = Column(Text, nullable=False)

    @property
    def record(self) -> tuple:
        """(table, record id): what the screen links to the record's card."""
        return self.table_name, self.record_id

    @property
    def change_set(self) -> tuple:
        """(table, changes JSON): what the screens format (and mask) together."""
        return self.table_name, self.changes

    def __repr__(self):
        return f"{self.table_name} {self.record_id} {self.action}"
