"""The billing engine: plain Python, data in → charge lines out (no Flask, no session).

``bill_period(BillingInput) -> BillingResult``; the records are in :mod:`app.billing.data`.
"""
from .data import (  # noqa: F401
    Account, AccountService, AreaChange, BillingInput, BillingResult, BillingWarning, Beneficiary, Building,
    ChargeLine, ClaimAct, HouseBalance, Meter, MeterMonth, NetworkNode, Norm, OverdueDebt, PenaltyExemption,
    Premise, Price, PriceComponent, Reading, Registration, Service, Setting,
)
from .engine import bill_period  # noqa: F401
