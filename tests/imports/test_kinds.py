"""Every kind imports from CSV (UTF-8, UTF-8 with BOM, Windows-1251; «,» and «;») and XLSX; the
same file again changes nothing; an updated registry file updates the rows matched by key
and counts them; payments and subsidies are facts that an import never changes."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.services.imports import KIND_NAMES, KINDS

from .helpers import DEPENDS, FORMATS, Town, counts, encode, load, run


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_kind_imports_then_reimport_changes_nothing(ctx, kind, fmt):
    # (payments, subsidies and opening balances also add their journal entries: counted below)
    town = Town()
    done = set()
    for dependency in DEPENDS[kind]:
        load(town, dependency, done)
    rows = town.rows(kind)
    before = counts(ctx)

    outcome = run(kind, encode(rows, fmt), "file.xlsx" if fmt == "xlsx" else "file.csv")
    assert outcome.rejected == 0, [p.as_dict() for p in outcome.problems]
    assert (outcome.total, outcome.created, outcome.updated, outcome.unchanged) == (len(rows), len(rows), 0, 0)
    assert outcome.written
    after = counts(ctx)
    table = KINDS[kind].table.name
    assert after[table] == before[table] + len(rows)
    if kind == "balances":  # one opening_balance entry per row, in the first open period
        assert after["journal_entry"] == before["journal_entry"] + len(rows)
    _check_stored(ctx, kind, town)

    again = run(kind, encode(rows, fmt))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, len(rows), 0)
    assert counts(ctx) == after


@pytest.mark.parametrize("kind", [k for k in KIND_NAMES if not KINDS[k].facts_only])
def test_updated_registry_updates_matched_rows(ctx, kind):
    town = Town()
    load(town, kind)
    before = counts(ctx)
    outcome = run(kind, encode(town.changed_rows(kind), "cp1251-semicolon"))
    assert outcome.rejected == 0, [p.as_dict() for p in outcome.problems]
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, len(town.rows(kind)) - 1)
    if kind == "balances":  # the journal is never updated: the difference 400 − 412,35 is a new entry
        assert _opening_entries(ctx, town.p)["CW"] == Decimal("400.00")
        before["journal_entry"] += 1
    assert counts(ctx) == before  # (meters: a new next_verification adds no history event, as on the form)
    again = run(kind, encode(town.changed_rows(kind), "xlsx"))
    assert (again.updated, again.unchanged) == (0, len(town.rows(kind)))


@pytest.mark.parametrize("kind", ["payments", "subsidies"])
def test_facts_are_never_updated(ctx, kind):
    town = Town()
    load(town, kind)
    before = counts(ctx)
    outcome = run(kind, encode(town.changed_rows(kind), "utf8-comma"))
    assert outcome.rejected == 1 and not outcome.written
    (problem,) = outcome.problems
    assert problem.row == 2 and problem.code == "fact_differs"
    assert problem.column == "amount"
    assert counts(ctx) == before


def _check_stored(session, kind, town):
    """A few stored values: decimal commas, both date styles, XLSX cells read right."""
    from datetime import date
    from decimal import Decimal

    from app.models import (
        Account, Building, Meter, MeterEvent, Payment, Premise, Reading, Resident, Subsidy, Tariff,
    )

    p = town.p
    if kind == "buildings":
        b1 = session.scalar(select(Building).where(Building.code == f"{p}-B1"))
        assert (b1.address, b1.floors, b1.heated_area, b1.imbalance_key) == ("вул. Шевченка, 10", 5, Decimal("1200.5"), "volume")
        b2 = session.scalar(select(Building).where(Building.code == f"{p}-B2"))
        assert b2.heat_system_share == Decimal("0.05") and b2.heated_area is None  # empty cell → default / NULL
    elif kind == "premises":
        premise = session.scalar(select(Premise).join(Building).where(Building.code == f"{p}-B1", Premise.number == "2"))
        assert (premise.total_area, premise.heating, premise.gas_category) == (Decimal("61.75"), "individual", None)
    elif kind == "residents":
        resident = session.scalar(select(Resident).where(Resident.resident_id == f"{p}-R2"))
        assert resident.full_name == "Ґудзь Євген «молодший»"
        assert session.scalar(select(Resident.birth_date).where(Resident.resident_id == f"{p}-R1")) == date(1964, 5, 17)
    elif kind == "accounts":
        account = session.scalar(select(Account).where(Account.account_number == f"{p}-A2"))
        assert account.owner_name == "ТОВ «Світанок»" and account.premise.number == "2"
    elif kind == "tariffs":
        prices = sorted(session.scalars(select(Tariff.price).join(Tariff.service).where(Tariff.service.has(code=f"{p}-CW"))))
        assert prices == [Decimal("38.448"), Decimal("41.2")]
    elif kind == "meters":
        house = session.scalar(select(Meter).where(Meter.serial == f"{p}-HM"))
        assert house.premise_id is None and house.initial_reading == Decimal("100")
        events = sorted(session.scalars(select(MeterEvent.kind).join(Meter).where(Meter.serial == f"{p}-M1")))
        assert events == ["installation", "verification"]  # the meter's history, as on the form
    elif kind == "readings":
        rows = session.execute(select(Reading.date, Reading.value, Reading.source, Reading.entered_by).join(Meter)
                               .where(Meter.serial == f"{p}-M1").order_by(Reading.date)).all()
        assert [(r.date, r.value, r.source) for r in rows] == [
            (date(2026, 10, 31), Decimal("15.25"), "inspector"), (date(2026, 11, 30), Decimal("19.5"), "import")]
        assert rows[0].entered_by
    elif kind == "payments":
        payment = session.scalar(select(Payment).where(Payment.external_id == f"{p}-P2"))
        assert (payment.amount, payment.paid_on, payment.source) == (Decimal("99.99"), date(2026, 11, 5), "import")
    elif kind == "subsidies":
        amounts = sorted(session.scalars(select(Subsidy.amount).join(Subsidy.account)
                                         .where(Account.account_number == f"{p}-A1")))
        assert amounts == [Decimal("120.50"), Decimal("812.00")]
    elif kind == "balances":
        assert _opening_entries(session, p) == {"CW": Decimal("412.35"), None: Decimal("-50.00")}


def _opening_entries(session, p):
    """{service code or None: Σ opening_balance entries} of account A1 in the journal."""
    from sqlalchemy import func

    from app.models import Account, JournalEntry, Service

    rows = session.execute(select(Service.code, func.sum(JournalEntry.amount))
                           .select_from(JournalEntry).join(Account, Account.id == JournalEntry.account_id)
                           .outerjoin(Service, Service.id == JournalEntry.service_id)
                           .where(Account.account_number == f"{p}-A1", JournalEntry.kind == "opening_balance")
                           .group_by(Service.code)).all()
    return {(code.removeprefix(f"{p}-") if code else None): amount for code, amount in rows}


@pytest.mark.parametrize("kind", ["premises", "accounts", "tariffs", "meters", "readings", "payments", "subsidies"])
def test_xlsx_with_numbers_and_dates_typed_as_text(ctx, kind):
    """Spreadsheets where «52,3» and «28.11.2026» are text cells, not numbers or dates."""
    from .helpers import write_xlsx

    town = Town()
    done = set()
    for dependency in DEPENDS[kind]:
        load(town, dependency, done)
    rows = town.rows(kind)
    outcome = run(kind, write_xlsx(rows, as_text=True), "text-cells.xlsx")
    assert outcome.rejected == 0 and outcome.created == len(rows), [p.as_dict() for p in outcome.problems]
    _check_stored(ctx, kind, town)
    again = run(kind, encode(rows, "utf8-comma"))  # the same rows from a CSV: unchanged
    assert again.unchanged == len(rows)


def test_meter_removal_by_import_is_in_the_meter_history(ctx):
    """An import changing a meter writes its history like the form does (app.services.meter_history)."""
    from datetime import date
    from decimal import Decimal

    from app.models import Meter, MeterEvent

    town = Town()
    load(town, "meters")
    rows = town.rows("meters")
    rows[2].update(removed_on=date(2026, 10, 31), final_reading=Decimal("240"))
    before = counts(ctx)
    outcome = run("meters", encode(rows, "utf8-comma"))
    assert (outcome.updated, outcome.unchanged) == (1, 2)
    assert counts(ctx)["meter_event"] == before["meter_event"] + 1
    event = ctx.scalar(select(MeterEvent).join(Meter).where(Meter.serial == f"{town.p}-HM", MeterEvent.kind == "removal"))
    assert (event.date, event.reading) == (date(2026, 10, 31), Decimal("240"))


def test_an_opening_debt_dates_from_its_month_and_an_advance_has_none(ctx):
    """``debt_since``: the opening debt's journal entry concerns that month (FIFO ages it from
    there); a month on an advance, or a month not written YYYY-MM, is refused by row and column."""
    from app.models import JournalEntry

    town = Town()
    load(town, "balances")
    targets = dict(ctx.execute(select(JournalEntry.amount, JournalEntry.target_period)
                               .where(JournalEntry.kind == "opening_balance")).all())
    assert targets[Decimal("0.01")] == "2023-02" and targets[Decimal("412.35")] != "2023-02"
    bad = [{"account_number": f"{town.p}-A1", "service_code": "", "amount": Decimal("-50"), "debt_since": "2023-02"},
           {"account_number": f"{town.p}-A2", "service_code": f"{town.p}-FX", "amount": Decimal("0.01"),
            "debt_since": "2023-13"}]
    outcome = run("balances", encode(bad, "cp1251-semicolon"))
    assert outcome.rejected == 2 and not outcome.written
    problems = [p.as_dict() for p in outcome.problems]
    assert {p["column"] for p in problems} == {"debt_since"}, problems
