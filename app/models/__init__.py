"""SQLAlchemy models of Oblik, by concern.

All models derive from Flask-AppBuilder's ``Model`` so that they share one metadata with
FAB's security tables (users, roles) and Alembic sees every table.
"""
from .catalog import (  # noqa: F401
    AreaBasis,
    BenefitCategory,
    ChargingMethod,
    MeterType,
    NetworkNode,
    Norm,
    Organisation,
    PublicHoliday,
    Resource,
    Service,
    Setting,
    Tariff,
    TariffComponent,
)
from .registry import (  # noqa: F401
    Account,
    AccountService,
    Beneficiary,
    Building,
    Premise,
    Registration,
    Resident,
)
from .meters import GroupMeterPremise, Meter, MeterEvent, Reading  # noqa: F401
from .journal import JournalEntry, OpeningBalance, Payment, PaymentReversal, Period, Subsidy  # noqa: F401
from .access import InspectorBuilding, LoginThrottle, UserSession  # noqa: F401
from .imports import ImportRecord  # noqa: F401
from .billing import (  # noqa: F401
    AreaChange, BillingBuilding, BillingChange, BillingChunk, BillingLock, BillingRun, BillingWarning, ChargeLine, ClaimAct,
    ClaimActTarget, ClosingBalance, MeterMonth, MeterMonthDraft, PaymentPosting, SubsidyPosting,
)
from .audit import AuditLog  # noqa: F401
from .invoices import *  # noqa: F401,F403,E402
from .mail import *  # noqa: F401,F403,E402
from .reminders import *  # noqa: F401,F403,E402
from .documents import *  # noqa: F401,F403,E402
from .write_offs import *  # noqa: F401,F403,E402
from .restructuring import *  # noqa: F401,F403,E402
from .reports import *  # noqa: F401,F403,E402
from .debt_ages import *  # noqa: F401,F403,E402
