"""The November of the town (see town.py), after October was closed: what changes and what the
November run must post, worked out by hand (billing.md §2, §4, §5, §10).

Changes made in November:
* a tariff with an earlier ``valid_from``: CW 33,00 грн from 16.10.2026;
* a late reading of flat 3 dated 30.10.2026: 203,5 (October was billed by norm, 3 м³);
* flat 2 reads its meter on 05.11.2026: 54 (October: norm, no reading);
* November readings: flat 1 25.11: 111; house cold water 25.11: 1024; house heat 25.11: 35.

October computed again — CW cut at 16.10 (15 days at 30,00, 16 days at 33,00):
  flat 1  6 м³:    6 × 30 × 15/31 = 87,10 + 6 × 33 × 16/31 = 102,19 → 189,29, posted 180,00 → +9,29
  flat 2  3 м³ norm:                43,55 + 51,10 → 94,65, posted 90,00 → +4,65
  flat 3  3,5 м³ actual:            50,81 + 59,61 → 110,42, posted 90,00 → +20,42
  imbalance Δ = 13,5 − (6 + 3 + 3,5) = 1,0 by volume → 0,48 / 0,24 / 0,28 м³:
  flat 1  6,97 + 8,18 = 15,15, posted 22,50 → −7,35
  flat 2  3,48 + 4,09 = 7,57, posted 11,25 → −3,68
  flat 3  4,06 + 4,77 = 8,83, posted 11,25 → −2,42

November (30 days, CW 33,00):
  flat 1  111 − 106 = 5 м³ actual → 165,00
  flat 2  true-up: (54 − 50) − 3 billed by norm in October = 1 м³ → 33,00
  flat 3  estimate: 3,5 м³ / 31 days × 30 = 3,387 м³ → 111,77
  imbalance Δ = 10,5 − (5 + 1 + 3,387) = 1,113 by volume → 0,593 / 0,118 / 0,402 м³
          → 19,57 / 3,89 / 13,27
  heat Vh = 20: Vs = 3 by total area (1; 1,2; 0,8), Vr = 17 by heated area (5,6667; 6,8; 4,5333)
          → 6,6667 / 8,0000 / 5,3333 Гкал → 13333,40 / 16000,00 / 10666,60
"""
from decimal import Decimal as D

from .town import NOVEMBER, OCTOBER

RECALCULATIONS = {
    ("E1-001", "CW", "recalculation:charge", OCTOBER): D("9.29"),
    ("E1-002", "CW", "recalculation:charge", OCTOBER): D("4.65"),
    ("E1-003", "CW", "recalculation:charge", OCTOBER): D("20.42"),
    ("E1-001", "CW", "recalculation:imbalance", OCTOBER): D("-7.35"),
    ("E1-002", "CW", "recalculation:imbalance", OCTOBER): D("-3.68"),
    ("E1-003", "CW", "recalculation:imbalance", OCTOBER): D("-2.42"),
}
NOVEMBER_AMOUNTS = {
    ("E1-001", "UTR", "charge", NOVEMBER): D("400.00"), ("E1-001", "TPV", "charge", NOVEMBER): D("80.00"),
    ("E1-001", "CW", "charge", NOVEMBER): D("165.00"), ("E1-001", "CW", "imbalance", NOVEMBER): D("19.57"),
    ("E1-001", "HEAT", "charge", NOVEMBER): D("13333.40"),
    ("E1-002", "UTR", "charge", NOVEMBER): D("480.00"), ("E1-002", "TPV", "charge", NOVEMBER): D("40.00"),
    ("E1-002", "CW", "charge", NOVEMBER): D("33.00"), ("E1-002", "CW", "imbalance", NOVEMBER): D("3.89"),
    ("E1-002", "HEAT", "charge", NOVEMBER): D("16000.00"),
    ("E1-003", "UTR", "charge", NOVEMBER): D("320.00"), ("E1-003", "TPV", "charge", NOVEMBER): D("40.00"),
    ("E1-003", "CW", "charge", NOVEMBER): D("111.77"), ("E1-003", "CW", "imbalance", NOVEMBER): D("13.27"),
    ("E1-003", "HEAT", "charge", NOVEMBER): D("10666.60"),
    **RECALCULATIONS,
}
NOVEMBER_SOURCES = {"E1-001": "actual", "E1-002": "true_up", "E1-003": "estimated"}
