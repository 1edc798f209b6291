"""Money: periods, the append-only journal (журнал обліку господарських операцій), payments
and subsidies as received facts. The journal's rows are protected by database triggers
(see the migration): UPDATE and DELETE are refused."""
from flask_appbuilder import Model
from sqlalchemy import (
    Column, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func,
)
from sqlalchemy.orm import relationship

from .choices import JOURNAL_KINDS, PERIOD_STATUSES
from .types import MONEY, QUANTITY, enum_check


class Period(Model):
    """Період (calendar month ``YYYY-MM``); exactly one is open."""

    __tablename__ = "period"
    __table_args__ = (enum_check("status", PERIOD_STATUSES.codes, "ck_period_status"),)
    id = Column(Integer, primary_key=True)
    period = Column(String(7), unique=True, nullable=False)
    status = Column(String(10), nullable=False, default="open")
    opened_at = Column(DateTime, server_default=func.now())
    closed_at = Column(DateTime)

    def __repr__(self):
        return self.period


class JournalEntry(Model):
    """Господарська операція. Never updated or deleted; a mistake gets a reversal."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        enum_check("kind", JOURNAL_KINDS.codes, "ck_journal_kind"),
        Index("ix_journal_account_period", "account_id", "posting_period"),
        Index("ix_journal_posting_period", "posting_period"),
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    account = relationship("Account")
    service_id = Column(Integer, ForeignKey("service.id"))
    service = relationship("Service")
    posting_period = Column(String(7), nullable=False)
    value_date = Column(Date, nullable=False)
    target_period = Column(String(7), nullable=False)
    quantity = Column(QUANTITY)
    amount = Column(MONEY, nullable=False)
    document = Column(String(100))
    created_by = Column(String(100))
    created_at = Column(DateTime, server_default=func.now(), nullable=False)
    # A recalculation corrects the target period's charge, imbalance or benefit (billing.md §10);
    # a reversal names the kind it reverses (``payment``).
    detail_kind = Column(String(20))
    # The payment an entry spreads or reverses (empty for every other entry).
    payment_id = Column(Integer, ForeignKey("payment.id"), index=True)


class Payment(Model):
    """Оплата from a bank register or a cash desk; a fact, never edited after posting."""

    __tablename__ = "payment"
    id = Column(Integer, primary_key=True)
    external_id = Column(String(60), unique=True, nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account", lazy="selectin")
    paid_on = Column(Date, nullable=False, index=True)
    amount = Column(MONEY, nullable=False)
    source = Column(String(60), nullable=False, default="cash")
    created_by = Column(String(100))
    created_at = Column(DateTime, server_default=func.now())

    def __repr__(self):
        return f"{self.external_id} {self.amount}"


class PaymentReversal(Model):
    """Сторнування of a payment recorded in error: the reason, who and when. The journal holds
    the ``reversal`` entries that cancel the payment's entries; the payment itself stays."""

    __tablename__ = "payment_reversal"
    payment_id = Column(Integer, ForeignKey("payment.id"), primary_key=True)
    payment = relationship("Payment", backref="reversal", uselist=False)
    reason = Column(String(500), nullable=False)
    period = Column(String(7), nullable=False)
    reversed_by = Column(String(100))
    reversed_at = Column(DateTime, server_default=func.now(), nullable=False)


class OpeningBalance(Model):
    """Вхідне сальдо brought over from another system: the debt (positive) or advance
    (negative) of an account, per service or for the account as a whole (empty service), at
    the start of the first open period. The journal holds its ``opening_balance`` entries; a
    changed amount is posted as the difference."""

    __tablename__ = "opening_balance"
    __table_args__ = (UniqueConstraint("account_id", "service_id", name="uq_opening_balance_key"),)
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account")
    service_id = Column(Integer, ForeignKey("service.id"))
    service = relationship("Service")
    amount = Column(MONEY, nullable=False)
    # the month a debt dates from in the old system (its oldest unpaid month): FIFO ages it from
    # there — write-off candidates and the debtors' buckets right after moving over; empty: the
    # first open period
    debt_since = Column(String(7))
    created_by = Column(String(100))


class Subsidy(Model):
    """Субсидія for an account and period (optionally one service): a credit."""

    __tablename__ = "subsidy"
    __table_args__ = (
        UniqueConstraint("account_id", "period", "service_id", name="uq_subsidy_key"),
    )
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account")
    period = Column(String(7), nullable=False)
    amount = Column(MONEY, nullable=False)
    service_id = Column(Integer, ForeignKey("service.id"))
    service = relationship("Service")
