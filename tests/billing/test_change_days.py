"""charges.py computes a line's key only on the days something may change
(``Book.change_days``); the result must equal the plain day-by-day walk of segments.py."""
from hypothesis import given

from app.billing import bill_period
from app.billing import charges

from .test_engine import FAST, towns


@FAST
@given(inputs=towns())
def test_change_days_give_the_same_lines_as_the_day_by_day_walk(inputs):
    fast = bill_period(inputs)
    charges.EVERY_DAY = True
    try:
        slow = bill_period(inputs)
    finally:
        charges.EVERY_DAY = False
    assert fast.lines == slow.lines
    assert fast.warnings == slow.warnings
    assert fast.meter_volumes == slow.meter_volumes
