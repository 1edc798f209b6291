"""settings.py and data.py: dated settings with billing.md defaults; records refuse floats."""
from datetime import date
from decimal import Decimal

import pytest

from app.billing.data import BillingInput, ClaimAct, Price, PriceComponent, Service, Setting
from app.billing.settings import Settings


def test_setting_of_a_day_with_default():
    book = Settings([Setting("min_persons_for_norm", date(2024, 1, 1), "2"),
                     Setting("min_persons_for_norm", date(2024, 7, 1), "0")])
    assert book.get("min_persons_for_norm", date(2024, 6, 30)) == 2
    assert book.get("min_persons_for_norm", date(2024, 7, 1)) == 0
    assert book.get("min_persons_for_norm", date(2023, 1, 1)) == 1  # default of billing.md
    assert book.get("social_norm.area_per_household", date(2024, 1, 1)) == Decimal("10.5")
    with pytest.raises(KeyError):
        book.get("no.such.key", date(2024, 1, 1))


def test_records_coerce_numbers_and_refuse_float():
    price = Price(1, date(2024, 1, 1), "45,00", [PriceComponent("вода", "20"), PriceComponent("підігрів", 25)])
    assert price.price == Decimal("45.00") and isinstance(price.components, tuple)
    with pytest.raises(ValueError):
        Price(1, date(2024, 1, 1), "46", [PriceComponent("вода", "20"), PriceComponent("підігрів", 25)])
    with pytest.raises(TypeError):
        Price(1, date(2024, 1, 1), 45.0)
    with pytest.raises(ValueError):
        Service(1, "CW", "metered")  # a metered service needs a resource
    assert BillingInput("2024-06", services=[Service(1, "X", "fixed")]).services[0].code == "X"


def test_claim_act_reduction():
    assert ClaimAct(1, 1, date(2024, 6, 1), date(2024, 6, 5)).reduction == 1
    assert ClaimAct(1, 1, date(2024, 6, 1), date(2024, 6, 5), "poor_quality", "30").reduction == Decimal("0.3")
    with pytest.raises(ValueError):
        ClaimAct(1, 1, date(2024, 6, 1), date(2024, 6, 5), "poor_quality")
