"""Column types shared by the models: money, quantities, prices, enumerations.

Money and quantities are ``Numeric`` columns read back as ``Decimal`` (never float);
enumerations are stored as short strings with a CHECK so the database itself refuses
values the code does not know.
"""
from sqlalchemy import CheckConstraint, Numeric, String

MONEY = Numeric(14, 2)          # гривні з копійками
PRICE = Numeric(14, 5)          # tariffs may have more than two decimals (газ 7,95689)
QUANTITY = Numeric(16, 4)       # m², m³, Gcal, kWh, persons (precision per service ≤ 4)
READING = Numeric(16, 3)        # meter register values
SHARE = Numeric(6, 4)           # building settings such as heat_system_share = 0,05
PCT = Numeric(5, 2)             # benefit discount, %


def enum_column_type(length: int = 20) -> String:
    return String(length)


def enum_check(column: str, values, name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)
