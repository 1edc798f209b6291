"""periods.py: months, days and dated values."""
from dataclasses import dataclass
from datetime import date

import pytest

from app.billing.periods import (
    clip, covers, days_in, days_of, first_day, last_day, next_period, parse_period, period_of,
    previous_period, value_on,
)


def test_months():
    assert parse_period("2024-02") == (2024, 2)
    assert days_in("2024-02") == 29 and days_in("2023-02") == 28 and days_in("2024-06") == 30
    assert first_day("2024-06") == date(2024, 6, 1) and last_day("2024-06") == date(2024, 6, 30)
    assert next_period("2024-12") == "2025-01" and previous_period("2025-01") == "2024-12"
    assert previous_period("2024-06") == "2024-05" and period_of(date(2024, 6, 9)) == "2024-06"
    assert len(days_of("2024-06")) == 30
    with pytest.raises(ValueError):
        parse_period("2024-13")


def test_ranges_are_inclusive_and_open_ended():
    assert covers(date(2024, 6, 1), None, date(2030, 1, 1))
    assert covers(date(2024, 6, 1), date(2024, 6, 10), date(2024, 6, 10))
    assert not covers(date(2024, 6, 1), date(2024, 6, 10), date(2024, 6, 11))
    assert clip(date(2024, 5, 20), date(2024, 6, 10), "2024-06") == (date(2024, 6, 1), date(2024, 6, 10))
    assert clip(None, None, "2024-06") == (date(2024, 6, 1), date(2024, 6, 30))
    assert clip(date(2024, 7, 1), None, "2024-06") is None


@dataclass
class Entry:
    valid_from: date
    value: int


def test_value_on_takes_the_latest_valid_from_not_after_the_day():
    entries = [Entry(date(2024, 1, 1), 1), Entry(date(2024, 6, 11), 3), Entry(date(2024, 3, 1), 2)]
    assert value_on(entries, date(2024, 6, 10)).value == 2
    assert value_on(entries, date(2024, 6, 11)).value == 3
    assert value_on(entries, date(2023, 12, 31)) is None
