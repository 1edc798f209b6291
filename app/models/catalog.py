"""Довідники: the provider, services, price lists, norms, meter types, benefit categories,
the communication scheme and dated settings."""
from flask_appbuilder import Model
from sqlalchemy import (
    Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship, validates

from .choices import AREA_BASES, CHARGING_METHODS, METER_RESOURCES, NODE_KINDS, RESOURCES
from .types import PCT, PRICE, QUANTITY, enum_check
from .versioned import Versioned

# Re-exported names for readability in other modules.
ChargingMethod = CHARGING_METHODS
Resource = RESOURCES
AreaBasis = AREA_BASES


class Organisation(Model):
    """Надавач послуг: the utility, ОСББ or housing office that issues the invoices."""

    __tablename__ = "organisation"
    id = Column(Integer, primary_key=True)
    name = Column(String(250), nullable=False)
    edrpou = Column(String(10), nullable=False)
    iban = Column(String(34), nullable=False)
    bank_name = Column(String(250))
    address = Column(String(500))
    phone = Column(String(50))
    email = Column(String(254))
    website = Column(String(250))
    working_hours = Column(String(250))  # графік роботи, on every invoice
    invoice_notice = Column(Text)  # the notice area of every invoice (оголошення, показники, скарги)

    def __repr__(self):
        return self.name or ""


class Setting(Model):
    """A billing setting with a validity date (billing.md: a number the law leaves to the
    provider). The value of a day is the row with the latest ``valid_from`` ≤ that day."""

    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("key", "valid_from", name="uq_setting_key_from"),)
    id = Column(Integer, primary_key=True)
    key = Column(String(80), nullable=False, index=True)
    valid_from = Column(Date, nullable=False)
    value = Column(String(250), nullable=False)
    description = Column(Text)

    @validates("value")
    def _number_as_stored(self, _key, value):
        """A number typed the Ukrainian way (``10,5``, ``1 000``) is stored as the engine and
        formats.md read it (``10.5``) — on every path: forms, the API, imports, scripts."""
        from ..billing.money import parse_decimal

        if isinstance(value, str):
            try:
                number = parse_decimal(value)
            except ValueError:
                return value  # refused by the rule (app/validation/rules.py), with its message
            return format(number, "f")
        return value

    def __repr__(self):
        return f"{self.key} = {self.value}"


class Service(Model):
    """Послуга (номенклатура): what is charged and how (billing.md §2)."""

    __tablename__ = "service"
    __table_args__ = (
        enum_check("method", CHARGING_METHODS.codes, "ck_service_method"),
        enum_check("area_basis", AREA_BASES.codes, "ck_service_area_basis"),
    )
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(250), nullable=False)
    unit = Column(String(20), nullable=False)
    method = Column(String(20), nullable=False)
    resource = Column(String(20))
    area_basis = Column(String(10), nullable=False, default="total")
    quantity_precision = Column(Integer, nullable=False, default=3)

    def __repr__(self):
        return f"{self.code} {self.name}"


class Tariff(Versioned, Model):
    """Прайс-лист: the price of a service from ``valid_from`` on, optionally split into
    components (складові тарифу) whose sum is the price."""

    __tablename__ = "tariff"
    __table_args__ = (UniqueConstraint("service_id", "valid_from", name="uq_tariff_service_from"),)
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False)
    service = relationship("Service", lazy="selectin")
    valid_from = Column(Date, nullable=False)
    price = Column(PRICE, nullable=False)
    components = relationship("TariffComponent", back_populates="tariff",
                              cascade="all, delete-orphan")

    def __repr__(self):
        return f"{self.service.code if self.service else ''} {self.valid_from} {self.price}"


class TariffComponent(Model):
    """Складова тарифу, e.g. hot water = water + heating of water."""

    __tablename__ = "tariff_component"
    id = Column(Integer, primary_key=True)
    tariff_id = Column(Integer, ForeignKey("tariff.id", ondelete="CASCADE"), nullable=False, index=True)
    tariff = relationship("Tariff", back_populates="components")
    name = Column(String(120), nullable=False)
    price = Column(PRICE, nullable=False)

    def __repr__(self):
        return f"{self.name} {self.price}"


class Norm(Model):
    """Норма споживання (Довідник ОТН): volume per person and month for a service."""

    __tablename__ = "norm"
    __table_args__ = (UniqueConstraint("service_id", "valid_from", name="uq_norm_service_from"),)
    id = Column(Integer, primary_key=True)
    service_id = Column(Integer, ForeignKey("service.id"), nullable=False)
    service = relationship("Service", lazy="selectin")
    valid_from = Column(Date, nullable=False)
    norm_per_person = Column(QUANTITY, nullable=False)

    def __repr__(self):
        return f"{self.service.code if self.service else ''} {self.valid_from} {self.norm_per_person}"


class MeterType(Model):
    """Тип приладу обліку: resource, розрядність, міжповірочний інтервал."""

    __tablename__ = "meter_type"
    __table_args__ = (enum_check("resource", METER_RESOURCES.codes, "ck_meter_type_resource"),)
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(250), nullable=False)
    resource = Column(String(20), nullable=False)
    digits = Column(Integer)
    verification_years = Column(Integer)

    def __repr__(self):
        return f"{self.code} {self.name}"


class BenefitCategory(Model):
    """Категорія пільги with its discount in per cent."""

    __tablename__ = "benefit_category"
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(250), nullable=False)
    pct = Column(PCT, nullable=False)

    def __repr__(self):
        return f"{self.code} {self.name} ({self.pct}%)"


class NetworkNode(Model):
    """Вузол мережі of the communication scheme: котельня → тепловий пункт → будинок."""

    __tablename__ = "network_node"
    __table_args__ = (enum_check("kind", NODE_KINDS.codes, "ck_network_node_kind"),
                      Index("uq_network_node_meter_id", "meter_id", unique=True))
    id = Column(Integer, primary_key=True)
    code = Column(String(30), unique=True, nullable=False)
    name = Column(String(250), nullable=False)
    kind = Column(String(20), nullable=False, default="other")
    parent_id = Column(Integer, ForeignKey("network_node.id"), index=True)
    parent = relationship("NetworkNode", remote_side=[id], backref="children")
    # the node's own meter (a boiler house's or heat point's), compared with the house meters
    # of its buildings: the network's losses (app.services.claim_acts.node_losses)
    meter_id = Column(Integer, ForeignKey("meter.id", use_alter=True, name="fk_network_node_meter_id_meter"))
    meter = relationship("Meter")

    def __repr__(self):
        return f"{self.code} {self.name}"


class PublicHoliday(Model):
    """A public holiday (святковий день): not a working day for the deadlines of claim acts
    (5 working days, Закон № 2189-VIII ст. 27). Kept as dates, one a row, entered by the
    administrator for each year."""

    __tablename__ = "public_holiday"
    id = Column(Integer, primary_key=True)
    day = Column(Date, unique=True, nullable=False)
    name = Column(String(250), nullable=False)

    def __repr__(self):
        return f"{self.day:%d.%m.%Y} {self.name}"
