"""Відомості списання (issue 10 item 3; billing.md §11): a statement of debts written off — for
limitation (позовна давність, ЦК ст. 257), a deceased consumer, or another reason — its lines
(account, service, amount) and the marks of its postings.

Only an approved statement changes money (``write_off`` journal entries, posted by
``app.services.ledger.posting.post_write_off``); a cancelled one keeps its lines and gets
``reversal`` entries. ``write_off_posting`` holds one row per statement and action (approve,
cancel): its primary key is what makes a second approval — even a concurrent one — post nothing.
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func,
)
from sqlalchemy.orm import relationship

from .choices import Choices
from .types import MONEY, enum_check

__all__ = ["WRITE_OFF_REASONS", "WRITE_OFF_STATUSES", "WRITE_OFF_ACTIONS", "WriteOff", "WriteOffLine",
           "WriteOffPosting"]

WRITE_OFF_REASONS = Choices(
    ("limitation", _l("Limitation period expired")),
    ("deceased", _l("Consumer deceased")),
    ("other", _l("Other reason")),
)
WRITE_OFF_STATUSES = Choices(("draft", _l("Draft")), ("approved", _l("Approved")), ("cancelled", _l("Cancelled")))
WRITE_OFF_ACTIONS = Choices(("approve", _l("Approval")), ("cancel", _l("Cancellation")))


class WriteOff(Model):
    """Відомість списання: number ВС-YYYY-NNNN, date, reason, status and who did what."""

    __tablename__ = "write_off"
    __table_args__ = (
        enum_check("reason", WRITE_OFF_REASONS.codes, "ck_write_off_reason"),
        enum_check("status", WRITE_OFF_STATUSES.codes, "ck_write_off_status"),
        Index("ix_write_off_date", "doc_date"),
        UniqueConstraint("number", name="uq_write_off_number"),
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(30), nullable=False)
    doc_date = Column(Date, nullable=False)
    reason = Column(String(20), nullable=False, default="limitation")
    note = Column(Text)
    # the limitation period (months) and the day the candidates were found for, when formed from them
    limitation_months = Column(Integer)
    as_of = Column(Date)
    status = Column(String(10), nullable=False, default="draft")
    created_by = Column(String(100))
    created_at = Column(DateTime, server_default=func.now(), nullable=False)
    approved_by = Column(String(100))
    approved_at = Column(DateTime)
    cancelled_by = Column(String(100))
    cancelled_at = Column(DateTime)
    cancel_reason = Column(String(500))
    lines = relationship("WriteOffLine", back_populates="write_off", cascade="all, delete-orphan",
                         order_by="WriteOffLine.id")

    def __repr__(self):
        return f"№ {self.number}"


class WriteOffLine(Model):
    """A line: the debt of one account on one service, the amount written off (> 0, never more
    than the debt), the debt and the oldest unpaid month (FIFO) as found at review."""

    __tablename__ = "write_off_line"
    __table_args__ = (
        UniqueConstraint("write_off_id", "account_id", "service_id", name="uq_write_off_line_key"),
        CheckConstraint("amount > 0", name="ck_write_off_line_amount"),
    )
    id = Column(Integer, primary_key=True)
    write_off_id = Column(Integer, ForeignKey("write_off.id", ondelete="CASCADE"), nullable=False, index=True)
    write_off = relationship("WriteOff", back_populates="lines")
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account")
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False)
    service = relationship("Service")
    amount = Column(MONEY, nullable=False)
    debt = Column(MONEY)
    oldest_unpaid = Column(String(7))
    note = Column(String(500))


class WriteOffPosting(Model):
    """What the journal holds of a statement: one row per action (approve → ``write_off``
    entries, cancel → their ``reversal``), in the period they were posted into. The primary
    key refuses a second posting of the same action."""

    __tablename__ = "write_off_posting"
    __table_args__ = (enum_check("action", WRITE_OFF_ACTIONS.codes, "ck_write_off_posting_action"),)
    write_off_id = Column(Integer, ForeignKey("write_off.id"), primary_key=True)
    action = Column(String(10), primary_key=True)
    period = Column(String(7), nullable=False)
    entries = Column(Integer, nullable=False, default=0)
    posted_by = Column(String(100))
    posted_at = Column(DateTime, server_default=func.now(), nullable=False)
