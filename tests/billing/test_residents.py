"""residents.py: persons counted per day, absence, minimum for norms (billing.md §3)."""
from datetime import date

from app.billing.data import Registration
from app.billing.residents import Residents

JUNE = "2024-06"


def regs():
    return Residents([
        Registration(1, 10, date(2020, 1, 1)),                                   # Іван, all along
        Registration(2, 10, date(2020, 1, 1), date(2024, 6, 15)),               # Марія leaves on the 15th
        Registration(3, 10, date(2024, 6, 16), kind="temporary"),               # тимчасово проживає from the 16th
        Registration(1, 10, date(2024, 6, 10), date(2024, 7, 20), kind="absent"),  # Іван absent > 30 days
        Registration(4, 11, date(2024, 6, 20), kind="absent"),                  # absent without registration
        Registration(5, 12, date(2020, 1, 1)),
        Registration(5, 12, date(2024, 1, 1), kind="temporary"),                # counted once
    ])


def test_counted_per_day_with_absence():
    r = regs()
    assert r.counted(10, date(2024, 6, 9)) == 2      # Іван + Марія
    assert r.counted(10, date(2024, 6, 10)) == 1     # Іван absent
    assert r.counted(10, date(2024, 6, 16)) == 1     # Марія gone, temporary resident came
    assert r.counted(11, date(2024, 6, 25)) == 0
    assert r.counted(12, date(2024, 6, 25)) == 1


def test_minimum_for_norm_and_benefit_r():
    r = regs()
    assert r.for_norm(11, date(2024, 6, 25), 1) == 1
    assert r.for_norm(11, date(2024, 6, 25), 0) == 0
    assert r.for_norm(10, date(2024, 6, 5), 1) == 2
    assert r.for_benefit(10, JUNE) == 1 and r.for_benefit(11, JUNE) == 1


def test_person_days():
    # 1–9: 2 persons; 10–15: Марія only; 16–30: temporary resident only → 18 + 6 + 15
    assert regs().person_days(10, JUNE) == 39
