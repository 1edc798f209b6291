"""Пеня: exemptions; реструктуризація боргу: agreements and their instalments (issue 10 items 4–5).

* ``PenaltyExemption``: an account on which no penalty runs ``date_from``…``date_to`` (a reason
  kept: a decision, a benefit, the martial-law ban for a category…).
* ``RestructuringAgreement``: договір реструктуризації — an account's debt at ``debt_date``
  split into monthly instalments (``RestructuringInstalment``: number, due date, amount) by
  their count or by the amount of one, the first due on ``first_due``. Status ``draft`` →
  ``approved`` → ``terminated`` (the rest becomes due on ``terminated_on``) or ``cancelled``
  (as if it never held). The debt under an approved agreement carries no penalty while it holds.
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from .choices import Choices
from .types import MONEY, enum_check

__all__ = ["PenaltyBasis", "PenaltyExemption", "RestructuringAgreement", "RestructuringInstalment", "RESTRUCTURING_STATUSES",
           "RESTRUCTURING_MODES"]

RESTRUCTURING_STATUSES = Choices(("draft", _l("Draft")), ("approved", _l("Approved")),
                                 ("terminated", _l("Terminated")), ("cancelled", _l("Cancelled")))
RESTRUCTURING_MODES = Choices(("count", _l("By the number of instalments")),
                              ("amount", _l("By the amount of an instalment")))


class PenaltyExemption(Model):
    """Звільнення від пені: no penalty on the account's debt for these days."""

    __tablename__ = "penalty_exemption"
    __table_args__ = (
        CheckConstraint("date_to IS NULL OR date_to >= date_from", name="ck_penalty_exemption_dates"),
    )
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account")
    date_from = Column(Date, nullable=False)
    date_to = Column(Date)
    reason = Column(String(200), nullable=False)

    def __repr__(self):
        return f"{self.account} {self.date_from:%d.%m.%Y}" if self.date_from else str(self.account or "")


class PenaltyBasis(Model):
    """What a building's penalty of ``period`` saw: the last journal entry when the run read the
    debt. A payment posted after it makes the draft's penalty stale — the close refuses until
    the billing runs again."""

    __tablename__ = "penalty_basis"
    period = Column(String(7), primary_key=True)
    building_id = Column(Integer, ForeignKey("building.id"), primary_key=True, autoincrement=False)
    entry_mark = Column(BigInteger, nullable=False, default=0)


class RestructuringAgreement(Model):
    """Договір реструктуризації заборгованості."""

    __tablename__ = "restructuring_agreement"
    __table_args__ = (
        enum_check("status", RESTRUCTURING_STATUSES.codes, "ck_restructuring_status"),
        enum_check("mode", RESTRUCTURING_MODES.codes, "ck_restructuring_mode"),
        CheckConstraint("amount > 0", name="ck_restructuring_amount"),
        CheckConstraint("instalments IS NULL OR instalments BETWEEN 1 AND 120", name="ck_restructuring_instalments"),
        CheckConstraint("instalment_amount IS NULL OR instalment_amount > 0", name="ck_restructuring_instalment"),
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(50), unique=True, nullable=False)
    agreement_date = Column(Date, nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account")
    debt_date = Column(Date, nullable=False)
    amount = Column(MONEY, nullable=False)
    mode = Column(String(10), nullable=False, default="count")
    instalments = Column(Integer)
    instalment_amount = Column(MONEY)
    first_due = Column(Date, nullable=False)
    status = Column(String(12), nullable=False, default="draft", index=True)
    terminated_on = Column(Date)
    reason = Column(Text)
    created_by = Column(String(100))
    approved_by = Column(String(100))
    approved_at = Column(DateTime)
    schedule = relationship("RestructuringInstalment", back_populates="agreement", cascade="all, delete-orphan",
                            order_by="RestructuringInstalment.seq")

    def __repr__(self):
        return f"№ {self.number}"


class RestructuringInstalment(Model):
    """One monthly instalment of an agreement's schedule."""

    __tablename__ = "restructuring_instalment"
    __table_args__ = (UniqueConstraint("agreement_id", "seq", name="uq_restructuring_instalment_seq"),)
    id = Column(Integer, primary_key=True)
    agreement_id = Column(Integer, ForeignKey("restructuring_agreement.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    agreement = relationship("RestructuringAgreement", back_populates="schedule")
    seq = Column(Integer, nullable=False)
    due_date = Column(Date, nullable=False)
    amount = Column(MONEY, nullable=False)
