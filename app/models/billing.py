"""Розрахунок: what a billing run needs beyond the registries and what it produces.

* Inputs the registries lack: claim acts (акти-претензії) with what they cover, dated area
  changes of premises, and the per-meter volumes billed each month (``MeterMonth``: the
  engine's ``meter_volumes``, next month's ``meter_history``).
* The run's draft: charge lines with their explanation (``ChargeLine``), warnings, the draft
  meter volumes, one ``BillingBuilding`` row per building billed (what data it saw), and the
  run itself (``BillingRun``) with its progress.
* ``BillingLock``: one row per period while a run or a close is going — the database's
  unique key refuses a second one, on SQLite and PostgreSQL alike.
* ``BillingChange``: the change log written by database triggers (see migration 0003) on
  every table the engine reads: which building (empty = all) and from which day (empty = all
  time). It tells a close that data changed since the run, and a run which closed months to
  recalculate.
* ``ClosingBalance``: сальдо на кінець періоду per account and service (empty service = the
  account's advance), stored when a period closes.
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
    Text, UniqueConstraint, func,
)
from sqlalchemy.orm import relationship

from ..billing import codes as billing_codes
from .choices import Choices
from .types import MONEY, PCT, PRICE, QUANTITY, READING, enum_check

# Big tables: 64-bit keys on PostgreSQL, SQLite's rowid alias (INTEGER PRIMARY KEY) there.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")

CLAIM_KINDS = Choices.of(billing_codes.CLAIM_KINDS,
                         {"not_provided": _l("Service not provided"), "poor_quality": _l("Poor quality")})
CLAIM_STATUSES = Choices(("draft", _l("Draft")), ("approved", _l("Approved")), ("cancelled", _l("Cancelled")))
# The provider's answer to the consumer's call (Закон № 2189-VIII ст. 27): came and checked,
# did not come within the deadline, refused to sign.
CLAIM_VISITS = Choices(("came", _l("The provider's representative came")),
                       ("absent", _l("The provider did not come")),
                       ("refused", _l("The provider refused to sign")))
LINE_KINDS = Choices.of(billing_codes.DRAFT_LINE_KINDS, {
    "charge": _l("Charge"),
    "imbalance": _l("Imbalance"),
    "benefit": _l("Benefit"),
    "recalculation": _l("Recalculation"),
    "penalty": _l("Penalty"),
})
VOLUME_SOURCES = Choices.of(billing_codes.VOLUME_SOURCES, {
    "actual": _l("Actual readings"),
    "estimated": _l("Estimated"),
    "norm": _l("By norm"),
    "true_up": _l("True-up after estimates"),
    "imbalance": _l("Imbalance share"),
    "allocation": _l("House meter share"),
})
# The warnings of a billing run (``app.billing`` writes the codes), as the «Розрахунок» screen names them.
WARNING_CODES = Choices.of(billing_codes.WARNING_CODES, {
    "meter_estimated": _l("Meter without a reading: estimated"),
    "meter_overdue": _l("Verification overdue: billed by norm"),
    "meter_norm": _l("No readings: billed by norm"),
    "meter": _l("Meter reading problem"),
    "house_no_reading": _l("House meter without a reading"),
    "house_estimated": _l("House meter estimated"),
    "house_no_volume": _l("House meter without volume: not distributed"),
    "imbalance": _l("Imbalance"),
    "heat_allocation": _l("Heat distribution fallback"),
    "heat_device_ignored": _l("Heat device not counted"),
    "heat_share_unbilled": _l("Heat share nobody pays"),
    "no_heat_share": _l("No heat share"),
    "no_norm": _l("No norm of consumption"),
    "no_price": _l("No price"),
    "gas_category": _l("Gas category missing"),
    "unknown_reference": _l("Unknown reference"),
    "catalog": _l("Price list problem"),
})
RUN_STATUSES = Choices(
    ("running", _l("Running")),
    ("done", _l("Done")),
    ("failed", _l("Failed")),
)


class ClaimAct(Model):
    """Акт-претензія: a service not provided or provided poorly, for some days, to some
    buildings, network nodes or accounts (``ClaimActTarget``). Only approved acts reduce
    charges (billing.md §8)."""

    __tablename__ = "claim_act"
    __table_args__ = (
        enum_check("kind", CLAIM_KINDS.codes, "ck_claim_act_kind"),
        enum_check("status", CLAIM_STATUSES.codes, "ck_claim_act_status"),
        enum_check("visit", CLAIM_VISITS.codes, "ck_claim_act_visit"),
    )
    id = Column(Integer, primary_key=True)
    number = Column(String(50), unique=True, nullable=False)
    act_date = Column(Date, nullable=False)
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False, index=True)
    service = relationship("Service")
    kind = Column(String(20), nullable=False, default="not_provided")
    reduction_pct = Column(PCT)
    date_from = Column(Date, nullable=False)
    date_to = Column(Date, nullable=False)
    status = Column(String(10), nullable=False, default="draft")
    approved_by = Column(String(100))
    approved_at = Column(DateTime)
    note = Column(Text)
    # the consumer's claim: when, by whom, what, where
    notified_at = Column(DateTime)
    deadline = Column(Date, index=True)  # the provider's: 5 working days from notified_at
    claimant_name = Column(String(250))
    claimant_contacts = Column(String(250))
    claimant_account_id = Column(Integer, ForeignKey("account.id"), index=True)
    claimant_account = relationship("Account", foreign_keys=[claimant_account_id])
    claim_text = Column(Text)
    place = Column(String(250))
    # the provider's visit (or its absence / refusal) and who signed
    visit = Column(String(10))
    visited_at = Column(DateTime)
    representative = Column(String(250))
    witnesses = Column(Text)  # the other consumers who signed, one per line
    outage = Column(Boolean, nullable=False, default=False)  # an outage act on a network node (АВ-…)
    created_by = Column(String(100))
    cancelled_by = Column(String(100))
    cancelled_at = Column(DateTime)
    targets = relationship("ClaimActTarget", back_populates="act", cascade="all, delete-orphan")

    def __repr__(self):
        return f"№ {self.number}"

    def overdue(self, today=None) -> bool:
        """A draft past the provider's deadline (5 working days from the notification)."""
        from datetime import date

        return self.status == "draft" and self.deadline is not None and self.deadline < (today or date.today())

    def deadline_cell(self):
        """The deadline as the list shows it: an overdue act's highlighted."""
        from markupsafe import Markup, escape

        if self.deadline is None:
            return ""
        text = f"{self.deadline:%d.%m.%Y}"
        if self.overdue():
            return Markup('<span class="label label-danger oblik-overdue">%s</span>') % escape(text)
        return text


class ClaimActTarget(Model):
    """What a claim act covers: a building, a network node (every building downstream of it)
    or a single personal account — one of the three per row."""

    __tablename__ = "claim_act_target"
    __table_args__ = (
        CheckConstraint("(CASE WHEN building_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN network_node_id IS NULL "
                        "THEN 0 ELSE 1 END) + (CASE WHEN account_id IS NULL THEN 0 ELSE 1 END) = 1",
                        name="ck_claim_act_target_one"),
    )
    id = Column(Integer, primary_key=True)
    act_id = Column(Integer, ForeignKey("claim_act.id", ondelete="CASCADE"), nullable=False, index=True)
    act = relationship("ClaimAct", back_populates="targets")
    building_id = Column(Integer, ForeignKey("building.id"), index=True)
    building = relationship("Building")
    network_node_id = Column(Integer, ForeignKey("network_node.id"), index=True)
    network_node = relationship("NetworkNode")
    account_id = Column(Integer, ForeignKey("account.id"), index=True)
    account = relationship("Account")

    def __repr__(self):
        return str(self.building or self.network_node or self.account or "")


class AreaChange(Model):
    """A premise's areas from ``valid_from`` on (re-measurement, conversion of a loggia…);
    before the first change the premise's own areas apply."""

    __tablename__ = "area_change"
    __table_args__ = (UniqueConstraint("premise_id", "valid_from", name="uq_area_change_premise_from"),)
    id = Column(Integer, primary_key=True)
    premise_id = Column(Integer, ForeignKey("premise.id"), nullable=False, index=True)
    premise = relationship("Premise")
    valid_from = Column(Date, nullable=False)
    total_area = Column(QUANTITY, nullable=False)
    heated_area = Column(QUANTITY)
    document = Column(String(100))

    def __repr__(self):
        return f"{self.premise} {self.valid_from}"


class _MeterMonthColumns:
    meter_id = Column(Integer, ForeignKey("meter.id"), nullable=False)
    period = Column(String(7), nullable=False)
    volume = Column(QUANTITY, nullable=False)
    source = Column(String(10), nullable=False)
    days = Column(Integer, nullable=False)
    reading_date = Column(Date)
    start_value = Column(READING)
    end_value = Column(READING)


class MeterMonth(_MeterMonthColumns, Model):
    """The volume billed for a meter in a closed month (the engine's ``MeterMonth``)."""

    __tablename__ = "meter_month"
    __table_args__ = (UniqueConstraint("meter_id", "period", name="uq_meter_month"),)
    id = Column(BIG_ID, primary_key=True)


class MeterMonthDraft(_MeterMonthColumns, Model):
    """The volumes of the open period's draft — and of the closed months its recalculations
    computed again; they replace ``MeterMonth`` rows when the period closes."""

    __tablename__ = "meter_month_draft"
    __table_args__ = (
        UniqueConstraint("meter_id", "period", name="uq_meter_month_draft"),
        Index("ix_meter_month_draft_building", "building_id"),
    )
    id = Column(BIG_ID, primary_key=True)
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False)


class BillingRun(Model):
    """One billing run (Розрахунок за період): a whole period or one building."""

    __tablename__ = "billing_run"
    __table_args__ = (enum_check("status", RUN_STATUSES.codes, "ck_billing_run_status"),)
    id = Column(Integer, primary_key=True)
    period = Column(String(7), nullable=False, index=True)
    building_id = Column(Integer, ForeignKey("building.id"))
    building = relationship("Building")
    status = Column(String(10), nullable=False, default="running")
    started_by = Column(String(100))
    started_at = Column(DateTime, nullable=False, server_default=func.now())
    finished_at = Column(DateTime)
    task_id = Column(String(50))
    buildings_total = Column(Integer, nullable=False, default=0)
    buildings_done = Column(Integer, nullable=False, default=0)
    chunks_total = Column(Integer, nullable=False, default=0)
    chunks_done = Column(Integer, nullable=False, default=0)
    accounts = Column(Integer, nullable=False, default=0)
    lines = Column(Integer, nullable=False, default=0)
    warnings = Column(Integer, nullable=False, default=0)
    message = Column(Text)

    def __repr__(self):
        return f"{self.period} № {self.id}"


class BillingLock(Model):
    """Held while a run or a close of ``period`` is going; the primary key refuses a second
    holder. ``heartbeat_at`` moves on as the holder works; a lock silent for long is stale
    (its process died) and may be taken over."""

    __tablename__ = "billing_lock"
    period = Column(String(7), primary_key=True)
    holder = Column(String(10), nullable=False)  # run | close
    run_id = Column(Integer)
    acquired_by = Column(String(100))
    acquired_at = Column(DateTime, nullable=False)
    heartbeat_at = Column(DateTime, nullable=False)


class BillingChunk(Model):
    """A chunk of buildings of a run, as the run split them: the buildings (ids), how often a
    worker took it up (``attempts``) and when it was done (``finished_at``: its buildings
    added to the run's progress, in the same transaction — a chunk delivered again does nothing
    twice)."""

    __tablename__ = "billing_chunk"
    run_id = Column(Integer, ForeignKey("billing_run.id", ondelete="CASCADE"), primary_key=True)
    seq = Column(Integer, primary_key=True, autoincrement=False)
    buildings = Column(JSON, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    finished_at = Column(DateTime)


class BillingBuilding(Model):
    """A building's draft of ``period``: which run computed it, the change-log position it
    saw (``change_mark``), and from which closed month it recalculated."""

    __tablename__ = "billing_building"
    __table_args__ = (UniqueConstraint("period", "building_id", name="uq_billing_building"),)
    id = Column(Integer, primary_key=True)
    period = Column(String(7), nullable=False)
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False, index=True)
    building = relationship("Building")
    run_id = Column(Integer, ForeignKey("billing_run.id"))
    change_mark = Column(BIG_ID, nullable=False, default=0)
    computed_at = Column(DateTime, nullable=False, server_default=func.now())
    accounts = Column(Integer, nullable=False, default=0)
    lines = Column(Integer, nullable=False, default=0)
    warnings = Column(Integer, nullable=False, default=0)
    charged = Column(MONEY, nullable=False, default=0)
    recalculated = Column(MONEY, nullable=False, default=0)
    recalculated_from = Column(String(7))


class BillingWarning(Model):
    """A warning of a run (missing house reading, overdue verification, estimate, fallback…);
    ``target_period`` differs from ``period`` for a recalculated month."""

    __tablename__ = "billing_warning"
    __table_args__ = (Index("ix_billing_warning_period_building", "period", "building_id"),)
    id = Column(BIG_ID, primary_key=True)
    period = Column(String(7), nullable=False)
    target_period = Column(String(7), nullable=False)
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False)
    building = relationship("Building")
    code = Column(String(40), nullable=False)
    message = Column(Text, nullable=False)
    premise_id = Column(Integer)
    account_id = Column(Integer)
    service_id = Column(Integer)
    meter_id = Column(Integer)


class ChargeLine(Model):
    """Рядок нарахування of ``period`` (the posting period): the open period's draft, or the
    lines a closed period froze into the journal. A ``recalculation`` line corrects
    ``target_period`` by ``detail_kind`` (charge, imbalance or benefit)."""

    __tablename__ = "charge_line"
    __table_args__ = (
        Index("ix_charge_line_period_building", "period", "building_id"),
        Index("ix_charge_line_account_period", "account_id", "period"),
        enum_check("kind", LINE_KINDS.codes, "ck_charge_line_kind"),
    )
    id = Column(BIG_ID, primary_key=True)
    period = Column(String(7), nullable=False)
    target_period = Column(String(7), nullable=False)
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    account = relationship("Account")
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False)
    service = relationship("Service")
    kind = Column(String(20), nullable=False)
    detail_kind = Column(String(20))
    seq = Column(Integer, nullable=False, default=0)
    date_from = Column(Date)
    date_to = Column(Date)
    days = Column(Integer)
    base_quantity = Column(QUANTITY)
    quantity = Column(QUANTITY)
    price = Column(PRICE)
    amount = Column(MONEY, nullable=False)
    method = Column(String(20))
    source = Column(String(20))
    reduction = Column(Numeric(9, 6))
    beneficiary_id = Column(Integer)
    explanation = Column(Text)

    @property
    def explanation_lines(self):
        """The explanation's sentences in the reader's language (``app.services.explanations``)."""
        from ..services.explanations import lines

        return lines(self.explanation)


class ClosingBalance(Model):
    """Сальдо на кінець періоду of an account per service (empty service = advance)."""

    __tablename__ = "closing_balance"
    __table_args__ = (
        Index("ix_closing_balance_period", "period"),
        Index("ix_closing_balance_account", "account_id", "period"),
    )
    id = Column(BIG_ID, primary_key=True)
    period = Column(String(7), nullable=False)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False)
    service_id = Column(Integer, ForeignKey("service.id"))
    amount = Column(MONEY, nullable=False)


class BillingChange(Model):
    """A change of billing data (written by triggers): building (empty = every building)
    and the first day it affects (empty = all time)."""

    __tablename__ = "billing_change"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are positions in the log: never reused
    id = Column(BIG_ID, primary_key=True)
    building_id = Column(Integer, index=True)
    day = Column(Date)
    source = Column(String(30), nullable=False)
    created_at = Column(DateTime, nullable=False, server_default=func.now())


class SubsidyPosting(Model):
    """Marks a subsidy posted to the journal (subsidies are facts; the journal holds
    the credit)."""

    __tablename__ = "subsidy_posting"
    subsidy_id = Column(Integer, ForeignKey("subsidy.id"), primary_key=True)
    period = Column(String(7), nullable=False)


class PaymentPosting(Model):
    """Marks a payment posted to the journal (the entries carry its external id)."""

    __tablename__ = "payment_posting"
    payment_id = Column(Integer, ForeignKey("payment.id"), primary_key=True)
    period = Column(String(7), nullable=False)
    advance = Column(MONEY, nullable=False, default=0)
    spread = Column(Boolean, nullable=False, default=True)
