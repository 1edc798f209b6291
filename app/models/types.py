"""Column types shared by the models: money, quantities, prices, enumerations.

Money and quantities are ``Numeric`` columns read back as ``Decimal`` (never float);
enumerations are stored as short strings with a CHECK so the database itself refuses
values the code does not know.

Money (:class:`Money`, ``MONEY``) is ``NUMERIC(14, 2)`` on every database, but SQLite has no
decimal type: it would keep a NUMERIC value with a fraction as a binary float, and a ``SUM``
in SQL (the closing balances) would come out as −391.3100000000002. So on SQLite the column
holds whole kopiyky (an INTEGER value in the NUMERIC column): 391.31 UAH is stored as 39131,
sums in SQL over integers are exact, and every expression that keeps the column's type
(``func.sum(col)``, ``func.coalesce(col, 0)``, ``col + other_money``, a UNION of money
columns) is read back as a Decimal with two places. PostgreSQL keeps its NUMERIC as is.

A money value with more than two decimals is refused when stored (``ValueError``, on
PostgreSQL too) rather than rounded: the app rounds money before storing it, so such a value is
a bug. Compared (``money > x``, a list filter), ``x`` may have more decimals.

Rules for SQL on money (what keeps it exact and typed on SQLite):

* ``money * n`` and ``money / n`` with a plain number bind ``n`` as a number (the result is
  kopiyky again, typed as money); ``money + x``, ``money - x`` and comparisons bind ``x`` as
  money. ``money * money`` and ``money // n`` mean nothing.
* A literal beside money in ``coalesce``, ``CASE`` or the first SELECT of a UNION is not
  converted (SQLAlchemy types it by its Python value): 0 is safe, any other amount must be
  ``literal(x, MONEY)``.
* ``func.avg``, ``func.round``, ``func.abs``, ``cast`` and ``text()`` SQL or the DBAPI cursor
  lose the type and hand back kopiyky on SQLite: give the type back
  (``type_=MONEY``, ``text(...).columns(amount=MONEY)``) or convert with :func:`from_kopiyky`
  and :func:`to_kopiyky`.
"""
from decimal import Decimal, InvalidOperation

from sqlalchemy import CheckConstraint, Integer, Numeric, String
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

PRICE = Numeric(14, 5)          # tariffs may have more than two decimals (газ 7,95689)
QUANTITY = Numeric(16, 4)       # m², m³, Gcal, kWh, persons (precision per service ≤ 4)
READING = Numeric(16, 3)        # meter register values
SHARE = Numeric(6, 4)           # building settings such as heat_system_share = 0,05
PCT = Numeric(5, 2)             # benefit discount, %

_HUNDRED = Decimal(100)
_SCALING = {operators.mul, operators.truediv}
_COMPARING = {operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
              operators.between_op, operators.not_between_op}


def stores_kopiyky(dialect) -> bool:
    """Whether money columns of ``dialect`` hold whole kopiyky (SQLite) or NUMERIC (others)."""
    return dialect.name == "sqlite"


def as_money_decimal(value) -> Decimal | None:
    """A money value given as a Decimal, an int, or a str (``"12,50"``) or float from
    outside the app (a list filter, old code) → a finite Decimal; else ``ValueError``/``TypeError``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"a boolean is not money: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = Decimal(repr(value))  # the shortest decimal that is this float: 0.1 → 0.1
    elif isinstance(value, str):
        try:
            value = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"not a money amount: {value!r}") from None
    elif not isinstance(value, Decimal):
        raise TypeError(f"not a money amount: {value!r}")
    if not value.is_finite():
        raise ValueError(f"not a money amount: {value!r}")
    return value


def to_kopiyky(value) -> int | None:
    """Гривні (Decimal, int, or a legacy str/float) → whole kopiyky; more than two decimals
    raise ``ValueError``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 100
    number = as_money_decimal(value)
    if number is None:
        return None
    kopiyky = number.scaleb(2)
    integral = kopiyky.to_integral_value()
    if kopiyky != integral:
        raise ValueError(f"money has at most two decimals (kopiyky), got {value!r}: round it first")
    return int(integral)


def from_kopiyky(value) -> Decimal | None:
    """Kopiyky as SQLite hands them back → Decimal гривні: an int (a stored value, a sum) gets
    exactly two places; a float or a text (an expression such as ``money / 3``, or a value
    written around the type) is taken as the number it is, divided by 100."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"a boolean is not money: {value!r}")
    if isinstance(value, int):
        return Decimal(value).scaleb(-2)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"a money column holds {value!r}") from None
    else:
        raise TypeError(f"a money column holds {value!r}")
    if number.is_finite() and number == number.to_integral_value():
        return Decimal(int(number)).scaleb(-2)
    return number.scaleb(-2)


class _KopiykyNumeric(Numeric):
    """SQLite's storage of money: the DDL of NUMERIC(14, 2) (its affinity keeps integers as
    integers), with no float conversion of SQLAlchemy's own — :class:`Money` converts."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        return None

    def literal_processor(self, dialect):
        return lambda value: str(int(value))


class Money(TypeDecorator):
    """Гривні з копійками: NUMERIC(14, 2); whole kopiyky on SQLite (see the module)."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if stores_kopiyky(dialect):
            return _KopiykyNumeric(14, 2)
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value, dialect):
        if stores_kopiyky(dialect):
            return to_kopiyky(value)
        to_kopiyky(value)  # more than two decimals are refused alike on PostgreSQL
        return as_money_decimal(value)

    def process_literal_param(self, value, dialect):
        if stores_kopiyky(dialect):
            return to_kopiyky(value)
        return value

    def process_result_value(self, value, dialect):
        if stores_kopiyky(dialect):
            return from_kopiyky(value)
        return value

    def result_processor(self, dialect, coltype):
        """NUMERIC money is read as the driver gives it (a Decimal, as process_result_value would
        pass it on): no Python call per value — the charges report reads 750,000 amounts; SQLite's
        whole kopiyky are converted."""
        if stores_kopiyky(dialect):
            return super().result_processor(dialect, coltype)
        return self.load_dialect_impl(dialect).result_processor(dialect, coltype)

    class Comparator(TypeDecorator.Comparator):
        def _adapt_expression(self, op, other_comparator):
            # money × number, money ÷ number: still money (kopiyky × 3 are kopiyky)
            other = other_comparator.type
            number = issubclass(other._type_affinity or type(None), (Numeric, Integer))
            if op in _SCALING and number and not isinstance(other, Money):
                return op, self.type
            return super()._adapt_expression(op, other_comparator)

    comparator_factory = Comparator

    def coerce_compared_value(self, op, value):
        """``money * 3`` or ``money / 2``: the plain number is bound as a number (kopiyky × 3
        are kopiyky); ``money + x``, ``money > x``: ``x`` is money — compared, it may have more
        decimals (a list filter «сума > 100,125»), it is not stored."""
        if op in _SCALING:
            return Integer() if isinstance(value, int) else Numeric()
        if op in _COMPARING:
            return _MONEY_COMPARED
        return self

    @property
    def python_type(self):
        return Decimal


class _MoneyCompared(Money):
    """A value compared with money: exact kopiyky, a fraction of a kopiyka allowed."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        number = as_money_decimal(value)
        if number is None or not stores_kopiyky(dialect):
            return number
        kopiyky = number.scaleb(2)
        return int(kopiyky) if kopiyky == kopiyky.to_integral_value() else float(kopiyky)


MONEY = Money()                 # гривні з копійками
_MONEY_COMPARED = _MoneyCompared()


def is_money(column_type) -> bool:
    return isinstance(column_type, Money)


def enum_column_type(length: int = 20) -> String:
    return String(length)


def enum_check(column: str, values, name: str) -> CheckConstraint:
    """``column IN (values)``; ``info`` keeps the column and its codes, so a value outside the
    list is refused by validation (``app.validation.core.column_errors``) before the database."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name,
                           info={"column": column, "choices": tuple(values)})
