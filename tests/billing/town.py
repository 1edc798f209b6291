"""Small builders for the billing tests (not a test module)."""
from datetime import date
from decimal import Decimal

from app.billing.data import Account, AccountService, Building, Premise, Registration

D = Decimal
JUNE = "2024-06"
LONG_AGO = date(2020, 1, 1)


def june(day: int) -> date:
    return date(2024, 6, day)


def building(building_id=1, code="B1", **kw) -> Building:
    return Building(building_id, code, **kw)


def flats(*areas, building_id=1, first_id=1, **kw) -> list[Premise]:
    return [Premise(first_id + i, building_id, str(first_id + i), D(area), **kw) for i, area in enumerate(areas)]


def accounts(*premise_ids, opened_on=LONG_AGO) -> list[Account]:
    """One account per premise, with the premise's id."""
    return [Account(p, p, opened_on, number=f"0{p:04d}") for p in premise_ids]


def subscribe(service_id, *account_ids, date_from=LONG_AGO, **kw) -> list[AccountService]:
    return [AccountService(a, service_id, date_from, **kw) for a in account_ids]


_next_resident = [1000]


def residents(premise_id, count, date_from=LONG_AGO, date_to=None, kind="registered") -> list[Registration]:
    result = []
    for _ in range(count):
        _next_resident[0] += 1
        result.append(Registration(_next_resident[0], premise_id, date_from, date_to, kind))
    return result


def by(lines, *, account_id=None, service_id=None, kind=None):
    return [line for line in lines if (account_id is None or line.account_id == account_id)
            and (service_id is None or line.service_id == service_id) and (kind is None or line.kind == kind)]


def amounts(lines):
    return [line.amount for line in lines]


def said(phrases) -> list[str]:
    """The engine's phrases (an explanation, a volume's reason) as the Ukrainian screen reads them."""
    from app.billing.phrases import ukrainian

    return ukrainian().phrases(phrases)
