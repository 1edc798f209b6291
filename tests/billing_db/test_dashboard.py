"""The dashboard (app/services/dashboard.py, the home page) on the billing town (tests/billing_db/town.py)
with two closed months:

* October billed and closed: 31 765,00 charged (flat 1 10 682,50, flat 2 12 621,25, flat 3 8 461,25);
* November: flat 1 pays 10 000,00, flat 2 12 700,00 (78,75 beyond its October bill: an advance);
  November billed (30 746,38: no readings, so estimates and norms) and closed — the close takes
  flat 2's advance onto its November charges;
* December open, not billed.

On 15.12.2026 October's unpaid debt (flat 1 682,50 + flat 3 8 461,25 = 9 143,75, dated 31.10) is
older than one month, November's (30 746,38 − 78,75 = 30 667,63, dated 30.11) is not:
the debt is 39 811,38 = 31 765,00 + 30 746,38 − 22 700,00. The collection rate of November is
22 700,00 / 30 746,38 = 73,8 %; of the twelve months 22 700,00 / 62 511,38 = 36,3 %.

The debt is compared with the ledger's own balances, the turnover report's closing total and the
debtors report's total; the monthly series with the periods report (the ledger's period totals).
Then the home page as each role sees it."""
import re
from datetime import date
from decimal import Decimal as D

from app.extensions import db
from app.models import InspectorBuilding, Payment
from app.services import ledger
from app.services.billing import close_period, run_billing
from app.services.dashboard import dashboard
from app.services.reports import ReportFilters, build

from .town import NOVEMBER, OCTOBER, create_town

Z = D("0.00")
DECEMBER = "2026-12"
DAY = date(2026, 12, 15)


def two_closed_months():
    session = db.session
    ids = create_town()
    run_billing()
    close_period(OCTOBER, "accountant")
    accounts = ids["accounts"]
    for account_id, amount, day in ((accounts[1], "10000.00", date(2026, 11, 5)),
                                    (accounts[2], "12700.00", date(2026, 11, 6))):
        ledger.receive_payment(session, Payment(external_id=f"CASH-{account_id}", account_id=account_id, paid_on=day,
                                                amount=D(amount), source="каса"), "operator")
    session.commit()
    run_billing()
    close_period(NOVEMBER, "accountant")
    return ids


def _column_total(report, code):
    index = [c.code for c in report.columns].index(code)
    return sum((row[index] for row in report.rows), Z)


def test_the_figures_with_worked_numbers(bdb):
    two_closed_months()
    board = dashboard(db.session, today=DAY)
    assert (board.open_period, board.last_closed) == (DECEMBER, NOVEMBER)

    flows = {f.period: f for f in board.flows}
    assert [f.period for f in board.flows][0] == "2026-01" and board.flows[-1].period == DECEMBER
    assert len(board.flows) == 12 and board.flows[-1].open and not flows[NOVEMBER].open
    assert (flows[OCTOBER].charged, flows[OCTOBER].collected) == (D("31765.00"), Z)
    assert (flows[NOVEMBER].charged, flows[NOVEMBER].collected) == (D("30746.38"), D("22700.00"))
    assert all(f.charged == Z and f.collected == Z for f in board.flows if f.period not in (OCTOBER, NOVEMBER))
    assert board.rate_last_closed == D("73.8")
    assert board.rate_year == D("36.3")

    assert board.aging == {"0-1": D("30667.63"), "1-3": D("9143.75"), "3-6": Z, "6-12": Z, "12-36": Z, "36+": Z,
                           "debt": D("39811.38")}
    # the imbalance (reports.consumption.imbalance_trend): E1's house meter has a volume in October only
    # (13,5 against 6 + 3 + 3 billed: 1,5 = 11,11 %); November has no reading, December is not billed
    assert [p["period"] for p in board.imbalance][-1] == DECEMBER and len(board.imbalance) == 12
    points = {p["period"]: p for p in board.imbalance}
    assert points[OCTOBER] == {"period": OCTOBER, "house_volume": D("13.5"), "individual": D("12"),
                               "imbalance": D("1.5"), "imbalance_pct": D("11.11")}
    assert all(p["imbalance_pct"] is None for p in board.imbalance if p["period"] != OCTOBER)

    # meters in service without a reading dated in December: three flats' and two house meters
    assert (board.readings_period, board.readings_missing) == (DECEMBER, 5)
    state = board.period_state
    assert (state.period, state.billed, state.billed_buildings, state.unbilled_buildings) == (DECEMBER, False, 0, 1)
    assert state.run_status is None and state.warnings == 0 and not state.ready_to_close
    assert len(state.problems) == 1 and "E1" in state.problems[0]


def test_the_debt_is_the_same_figure_in_the_ledger_and_the_reports(bdb):
    two_closed_months()
    debt = dashboard(db.session, today=DAY).aging["debt"]
    books = ledger.balances(db.session)
    assert debt == sum((amount for book in books.values() for amount in book.values()), Z) == D("39811.38")
    # no advance is left after the close: every balance is a debt
    assert all(amount >= 0 for book in books.values() for amount in book.values())
    turnover = build("turnover", ReportFilters(period=DECEMBER))
    assert _column_total(turnover, "closing") == debt
    debtors = build("debtors", ReportFilters(period=DECEMBER))
    assert _column_total(debtors, "debt") == debt
    # left to itself, the home page counts the ages on the day the debtors report of the open period does
    from app.services.reports.debtors import state_and_day

    assert dashboard(db.session).today == state_and_day(db.session, DECEMBER)[1]


def test_the_monthly_series_is_the_periods_reports(bdb):
    two_closed_months()
    board = dashboard(db.session, today=DAY)
    report = build("periods", ReportFilters())
    codes = [c.code for c in report.columns]
    periods = {row[0]: dict(zip(codes, row)) for row in report.rows}
    for flow in board.flows:
        if flow.period not in periods:
            assert flow.charged == flow.collected == Z
            continue
        row = periods[flow.period]
        assert flow.charged == row["charged"] + row["recalculated"] + row["benefits"]
        assert flow.collected == row["paid"] - row["subsidies"]


def test_an_open_period_billed_shows_its_draft_and_its_state(bdb):
    create_town()
    run_billing()
    board = dashboard(db.session, today=date(2026, 10, 31))
    assert board.flows[-1].period == OCTOBER and board.flows[-1].open
    assert board.flows[-1].charged == D("31765.00")  # the draft, as the turnover of the open month shows it
    assert board.last_closed is None and board.rate_last_closed is None and board.rate_year is None
    assert board.aging["debt"] == Z  # the draft is no debt yet
    state = board.period_state
    assert state.billed and state.billed_buildings == 1 and state.run_status == "done"
    assert state.problems == [] and state.ready_to_close
    # meters of flats 2 and 3 have no October reading (flat 1's and the house meters' have)
    assert board.readings_missing == 2


def test_the_parts_a_user_may_not_see_are_not_computed(bdb):
    ids = create_town()
    board = dashboard(db.session, money=False, billing=False, building_ids=[])
    assert board.flows is None and board.aging is None and board.imbalance is None and board.period_state is None
    assert board.readings_missing == 0  # no building of theirs
    assert dashboard(db.session, money=False, billing=False, building_ids=[ids["building"]]).readings_missing == 2


def test_the_kept_aging_is_computed_again_after_any_new_entry(bdb):
    from app.services import dashboard as board_module

    ids = two_closed_months()
    board_module._CACHE.clear()
    first = board_module.aging_totals(db.session, DAY, cache=True)
    assert first["debt"] == D("39811.38") and len(board_module._CACHE) == 1
    assert board_module.aging_totals(db.session, DAY, cache=True) == first and len(board_module._CACHE) == 1
    # a payment recorded in December pays flat 3's October first (FIFO): the figure follows at once
    ledger.receive_payment(db.session, Payment(external_id="CASH-DEC", account_id=ids["accounts"][3],
                                               paid_on=date(2026, 12, 3), amount=D("1000.00"), source="каса"),
                           "operator")
    db.session.commit()
    after = board_module.aging_totals(db.session, DAY, cache=True)
    assert after["debt"] == D("38811.38") and after["1-3"] == D("8143.75") and after["0-1"] == D("30667.63")
    assert after == ledger.aging_totals(db.session, DAY)
    assert dashboard(db.session, today=DAY).aging == after  # off under TESTING: the ledger's own, computed
    # the chart: the closed months kept, December read live — the same series as uncached
    kept = board_module.month_flows(db.session, DECEMBER, NOVEMBER, cache=True)
    assert kept == board_module.month_flows(db.session, DECEMBER, NOVEMBER, cache=True) == ledger.charged_collected(db.session)
    assert kept[-1].collected == D("1000.00") and kept[-1].open
    board_module._CACHE.clear()


# -- the home page as each role sees it ---------------------------------------------------------

MONEY_IDS = ("dash-flows", "dash-rate", "dash-debt", "dash-aging", "dash-imbalance")


def _page(web, role):
    response = web(role).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text_of(html, element_id):
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found, element_id
    return found.group(1).strip()


def test_the_money_roles_see_every_figure_with_its_link(bdb, web):
    two_closed_months()
    for role in ("admin", "accountant", "operator"):
        html = _page(web, role)
        for element in MONEY_IDS + ("dash-readings", "dash-period"):
            assert f'id="{element}"' in html, (role, element)
        assert _text_of(html, "debt-total") == "39 811,38"
        assert _text_of(html, "rate-last") == "73,8 %"
        assert _text_of(html, "rate-year") == "36,3 %"
        assert _text_of(html, "readings-missing") == "5"
        assert 'class="oblik-chart"' in html and "vendor/chart.umd.min.js" in html and "oblik-charts.js" in html
        assert 'href="/reports/debtors/' in html and 'href="/reports/readings_missing/?period=2026-12"' in html
        assert 'href="/billing/"' in html
        # the imbalance trend has October's point (E1: 11,11 %): its chart is drawn
        assert 'id="chart-imbalance"' in html and "imbalance-no-data" not in html and "11.11" in html
        assert "не готовий до закриття" in html  # December is not billed


def test_an_inspector_sees_no_money_only_the_readings_of_their_buildings(bdb, web):
    ids = two_closed_months()
    html = _page(web, "inspector")
    for element in MONEY_IDS + ("dash-period",):
        assert f'id="{element}"' not in html, element
    for figure in ("39 811,38", "30 667,63", "9 143,75", "73,8", "chart.umd.min.js"):
        assert figure not in html
    assert _text_of(html, "readings-missing") == "0"  # no building assigned yet
    user_id = bdb.appbuilder.sm.find_user(username="inspector").id
    db.session.add(InspectorBuilding(user_id=user_id, building_id=ids["building"]))
    db.session.commit()
    html = _page(web, "inspector")
    assert _text_of(html, "readings-missing") == "5"
    assert 'href="/reports/readings_missing/?period=2026-12"' in html
    assert "39 811,38" not in html and 'id="dash-debt"' not in html


def test_the_english_interface(bdb, web):
    two_closed_months()
    client = web("accountant")
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert "Total debt" in html and "Charged and collected by month" in html
    assert _text_of(html, "debt-total") == "39 811.38" and _text_of(html, "rate-last") == "73.8 %"
