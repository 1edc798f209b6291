"""The age of the debt by FIFO, stored at every close (billing.md §11; app/services/ledger/aging.py).

``debt_age`` holds, per closed period, account and service (empty service: the account-level
advance), what the FIFO rule needs to go on from that period without reading the journal again:

* one row per month whose charges are not paid in full (``unpaid`` > 0) or whose net is
  negative (a recalculation larger than its charges: it pays the others), with the month's net;
* one row with an empty ``month``: the credits left over after every month was paid (``unpaid``
  is then that surplus, ≥ 0) — stored only when there is one.

``debt_age_period`` says that a period's rows are complete (written in the close's transaction).
Both are derived data: rebuilt from the journal at any time (``oblik ledger ages``).
"""
from flask_appbuilder import Model
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, func

from .types import MONEY

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

__all__ = ["DebtAge", "DebtAgePeriod"]


class DebtAge(Model):
    __tablename__ = "debt_age"
    __table_args__ = (Index("ix_debt_age_period_account", "period", "account_id"),)
    id = Column(BIG_ID, primary_key=True)
    period = Column(String(7), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    service_id = Column(Integer, ForeignKey("service.id"))
    month = Column(String(7))          # empty: the pair's surplus of credits
    net = Column(MONEY, nullable=False)
    unpaid = Column(MONEY, nullable=False)


class DebtAgePeriod(Model):
    __tablename__ = "debt_age_period"
    period = Column(String(7), primary_key=True)
    computed_at = Column(DateTime, nullable=False, server_default=func.now())
    recomputed = Column(Integer, nullable=False, default=0)  # accounts computed from their whole journal
