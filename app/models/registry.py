"""Реєстри: buildings, premises, residents and their registrations, personal accounts with
their services, beneficiaries."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import relationship

from ..billing.settings import HEAT_COMMON_SHARE, HEAT_MIN_SHARE, HEAT_SYSTEM_SHARE

from .choices import (
    GAS_CATEGORIES, HEATING_KINDS, IMBALANCE_KEYS, PREMISE_KINDS, REGISTRATION_KINDS,
)
from .types import QUANTITY, SHARE, enum_check
from .versioned import Versioned


# Many-to-one relationships shown in lists and names load with ``selectin``: one query per
# page and relation instead of one per row (list screens stay fast at 100,000 accounts).


class Building(Versioned, Model):
    """Будинок with the allocation settings of billing.md §5."""

    __tablename__ = "building"
    __table_args__ = (enum_check("imbalance_key", IMBALANCE_KEYS.codes, "ck_building_imbalance_key"),)
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    address = Column(String(300), nullable=False, index=True)
    floors = Column(Integer)
    heated_area = Column(QUANTITY)
    common_area = Column(QUANTITY)
    imbalance_key = Column(String(10), nullable=False, default="volume")
    heat_system_share = Column(SHARE, nullable=False, default=str(HEAT_SYSTEM_SHARE))
    heat_common_share = Column(SHARE, nullable=False, default=str(HEAT_COMMON_SHARE))
    heat_min_share = Column(SHARE, nullable=False, default=str(HEAT_MIN_SHARE))
    network_node_id = Column(Integer, ForeignKey("network_node.id"), index=True)
    network_node = relationship("NetworkNode")
    premises = relationship("Premise", back_populates="building", lazy="dynamic")

    def __repr__(self):
        return f"{self.code}, {self.address}"


class Premise(Versioned, Model):
    """Приміщення (квартира або нежитлове приміщення) of a building."""

    __tablename__ = "premise"
    __table_args__ = (
        UniqueConstraint("building_id", "number", name="uq_premise_building_number"),
        enum_check("kind", PREMISE_KINDS.codes, "ck_premise_kind"),
        enum_check("heating", HEATING_KINDS.codes, "ck_premise_heating"),
        enum_check("gas_category", GAS_CATEGORIES.codes, "ck_premise_gas_category"),
    )
    id = Column(Integer, primary_key=True)
    building_id = Column(Integer, ForeignKey("building.id"), nullable=False)
    building = relationship("Building", back_populates="premises", lazy="selectin")
    number = Column(String(20), nullable=False)
    kind = Column(String(20), nullable=False, default="apartment")
    total_area = Column(QUANTITY, nullable=False)
    heated_area = Column(QUANTITY)
    heating = Column(String(20), nullable=False, default="central")
    gas_category = Column(String(2))
    entrance = Column(Integer)  # підʼїзд: the delivery order of invoices (entrance, flat)
    accounts = relationship("Account", back_populates="premise", lazy="dynamic")

    def __repr__(self):
        address = self.building.address if self.building else ""
        return f"{address}, кв. {self.number}"


class Resident(Versioned, Model):
    """Мешканець. ``resident_id`` is the stable external key used by imports."""

    __tablename__ = "resident"
    id = Column(Integer, primary_key=True)
    resident_id = Column(String(40), unique=True, nullable=False)
    full_name = Column(String(250), nullable=False, index=True)
    rnokpp = Column(String(10), index=True)
    birth_date = Column(Date)
    phone = Column(String(50))
    email = Column(String(254))

    def __repr__(self):
        return self.full_name or ""


class Registration(Model):
    """Реєстрація місця проживання (registered, temporary or documented absence)."""

    __tablename__ = "registration"
    __table_args__ = (
        enum_check("kind", REGISTRATION_KINDS.codes, "ck_registration_kind"),
        Index("ix_registration_premise_dates", "premise_id", "date_from"),
    )
    id = Column(Integer, primary_key=True)
    resident_id = Column(Integer, ForeignKey("resident.id"), nullable=False, index=True)
    resident = relationship("Resident", backref="registrations", lazy="selectin")
    premise_id = Column(Integer, ForeignKey("premise.id"), nullable=False)
    premise = relationship("Premise", backref="registrations", lazy="selectin")
    date_from = Column(Date, nullable=False)
    date_to = Column(Date)
    kind = Column(String(20), nullable=False, default="registered")

    def __repr__(self):
        return f"{self.resident} — {self.premise}"


class Account(Versioned, Model):
    """Особовий рахунок: the contract of a premise's owner (власник / наймач)."""

    __tablename__ = "account"
    id = Column(Integer, primary_key=True)
    account_number = Column(String(30), unique=True, nullable=False)
    premise_id = Column(Integer, ForeignKey("premise.id"), nullable=False, index=True)
    premise = relationship("Premise", back_populates="accounts", lazy="selectin")
    owner_name = Column(String(250), nullable=False, index=True)
    owner_rnokpp = Column(String(10))
    email = Column(String(254))
    phone = Column(String(50))
    opened_on = Column(Date, nullable=False)
    closed_on = Column(Date)
    # the owner agreed to receive invoices by e-mail (Закон № 2189-VIII, ст. 8: «в електронній формі»)
    einvoice_consent = Column(Boolean, nullable=False, default=False, server_default=false())
    einvoice_consent_on = Column(Date)
    services = relationship("AccountService", back_populates="account", lazy="dynamic")

    def __repr__(self):
        return f"{self.account_number} {self.owner_name}"


class AccountService(Versioned, Model):
    """A service an account subscribes to, with dates and quantity (default 1)."""

    __tablename__ = "account_service"
    __table_args__ = (
        UniqueConstraint("account_id", "service_id", "date_from", name="uq_account_service_from"),
    )
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id"), nullable=False, index=True)
    account = relationship("Account", back_populates="services", lazy="selectin")
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False, index=True)
    service = relationship("Service", lazy="selectin")
    date_from = Column(Date, nullable=False)
    date_to = Column(Date)
    quantity = Column(QUANTITY, nullable=False, default=1)

    def __repr__(self):
        return f"{self.account} — {self.service}"


class Beneficiary(Model):
    """Пільговик: a resident entitled to a benefit category, with entitled family members."""

    __tablename__ = "beneficiary"
    __table_args__ = (
        UniqueConstraint("resident_id", "category_id", "date_from", name="uq_beneficiary_key"),
    )
    id = Column(Integer, primary_key=True)
    resident_id = Column(Integer, ForeignKey("resident.id"), nullable=False, index=True)
    resident = relationship("Resident", backref="benefits", lazy="selectin")
    category_id = Column(Integer, ForeignKey("benefit_category.id"), nullable=False, index=True)
    category = relationship("BenefitCategory", lazy="selectin")
    date_from = Column(Date, nullable=False)
    date_to = Column(Date)
    entitled = Column(Integer, nullable=False, default=1)
    certificate = Column(String(100))

    def __repr__(self):
        return f"{self.resident} — {self.category}"
