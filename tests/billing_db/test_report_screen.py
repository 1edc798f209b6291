"""The «Звіти» screens (issue 11; app/views/reports.py) on the billing town: every kind opens as an
accountant with Ukrainian headers and a totals row that is the sum of its rows; an inspector gets
the work lists of their own buildings only and a 403 on everything with money; sorting by a
header, paging by 50, the filter errors next to their field, every download's type, the CSV for
Excel with its BOM and ``;``, and a background run from the button to the stored table."""
import csv
import html
import io
import re
from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.extensions import current_appbuilder, db
from app.models import Building, InspectorBuilding, Meter, MeterType, Premise, ReportRun
from app.services.billing import close_period, run_billing
from app.services.reports import ReportFilters, kinds

from app.views.reports import in_background

from .town import NOVEMBER, OCTOBER, create_town


class _Table(HTMLParser):
    """The report table of the screen: headers (code, title), body rows, the totals row."""

    def __init__(self):
        super().__init__()
        self.headers, self.rows, self.totals = [], [], None
        self._in_table = False
        self._part = None
        self._row = None
        self._cell = None
        self._code = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "report-table":
            self._in_table = True
        if not self._in_table:
            return
        if tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
            self._code = attrs.get("data-code")

    def handle_endtag(self, tag):
        if not self._in_table:
            return
        if tag in ("td", "th") and self._cell is not None:
            value = " ".join(self._cell.split())
            if self._part == "thead":
                self.headers.append((self._code, value))
            else:
                self._row.append(value)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._part == "tbody":
                self.rows.append(self._row)
            elif self._part == "tfoot":
                self.totals = self._row
            self._row = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def table_of(page: str) -> _Table:
    parsed = _Table()
    parsed.feed(page)
    return parsed


def number(text: str) -> D:
    return D(text.replace(" ", "").replace(",", ".")) if text else D(0)


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'id="error-{name}"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture()
def town(bdb):
    """October billed and closed, November billed: every report has rows."""
    ids = create_town()
    run_billing()
    close_period(OCTOBER, "accountant")
    run_billing()
    return ids


def _build_background(client, kind, **args):
    from tests.webtools import text

    response = client.post(f"/reports/{kind}/run", data=args)
    assert response.status_code == 302, text(response)
    return client.get(response.headers["Location"])


def _open(client, kind, period=OCTOBER, **more):
    spec = kinds()[kind]
    args = {"period": period, **more} if "period" in spec.filters else dict(more)
    if in_background(spec, args):
        return _build_background(client, kind, **args)
    return client.get(f"/reports/{kind}/", query_string=args)


def test_every_kind_opens_as_an_accountant_with_ukrainian_headers_and_its_totals(town, web):
    client = web("accountant")
    index = client.get("/reports/").get_data(as_text=True)
    for kind in kinds():
        assert f'id="report-{kind}"' in index
    checked_totals = 0
    for kind, spec in kinds().items():
        response = _open(client, kind)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (kind, page[:2000])
        parsed = table_of(page)
        assert parsed.headers, kind
        titles = [t for _c, t in parsed.headers]
        assert all(re.search(r"[А-Яа-яІіЇїЄєҐґ]", t) for t in titles), (kind, titles)
        assert "Особовий рахунок" in titles or "Будинок" in titles or "Період" in titles or "Вузол мережі" in titles or "Категорія" in " ".join(titles), titles
        if parsed.totals is not None and len(parsed.rows) <= 50 and parsed.rows:
            assert "Разом" in parsed.totals, (kind, parsed.totals)
            for i, (code, _title) in enumerate(parsed.headers):
                total = parsed.totals[i]
                if total and re.fullmatch(r"-?\d+,\d{2}", total):
                    assert number(total) == sum((number(r[i]) for r in parsed.rows), D(0)), (kind, code)
                    checked_totals += 1
    assert checked_totals >= 10  # the money reports' totals, each column against its rows


def test_money_is_shown_with_a_comma_and_two_places(town, web):
    client = web("accountant")
    parsed = table_of(_open(client, "turnover").get_data(as_text=True))
    codes = [c for c, _t in parsed.headers]
    charged = [r[codes.index("charged")] for r in parsed.rows]
    assert charged and all(re.fullmatch(r"-?\d+,\d{2}", v) for v in charged), charged
    first = dict(zip(codes, parsed.rows[0]))
    assert first["account_number"] == "E1-001" and first["charged"] == "10682,50"


def test_periods_in_the_menu_on_the_generic_screen(town, web):
    client = web("accountant")
    home = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/periods/"' in home and "Періоди" in home
    parsed = table_of(client.get("/reports/periods/").get_data(as_text=True))
    codes = [c for c, _t in parsed.headers]
    rows = {r[0]: dict(zip(codes, r)) for r in parsed.rows}
    assert rows[OCTOBER]["status_name"] == "Закритий" and rows[OCTOBER]["closed_by"] == "accountant"
    assert rows[NOVEMBER]["closed_by"] == ""


# -- the inspector ------------------------------------------------------------------------------

def _second_building(session, flats=60):
    """E2 with ``flats`` flats, a cold-water meter each and no reading: a long work list."""
    cold = session.scalar(select(MeterType).where(MeterType.code == "CW15"))
    building = Building(code="E2", address="вул. Садова, 2", floors=9)
    session.add(building)
    for n in range(1, flats + 1):
        premise = Premise(building=building, number=str(n), kind="apartment", total_area=D("40"),
                          entrance=1 + (n - 1) // 20)
        session.add_all([premise, Meter(serial=f"E2-CW-{n:03d}", meter_type=cold, building=building, premise=premise,
                                        installed_on=date(2020, 1, 1), initial_reading=D("0"),
                                        next_verification=date(2026, 10, 1 + n % 28))])
    session.commit()
    return building.id


def _inspector_of(building_id):
    user = current_appbuilder().sm.find_user("inspector")
    db.session.add(InspectorBuilding(user_id=user.id, building_id=building_id))
    db.session.commit()


def test_an_inspector_gets_the_work_lists_of_their_buildings_only(town, web):
    e2 = _second_building(db.session)
    _inspector_of(e2)
    client = web("inspector")
    index = client.get("/reports/")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert 'id="report-verification_due"' in page and 'id="report-readings_missing"' in page
    assert "report-turnover" not in page and "report-periods" not in page and "/reports/periods/" not in page
    for kind, spec in kinds().items():
        if spec.work_list:
            continue
        assert client.get(f"/reports/{kind}/?period={OCTOBER}").status_code == 403, kind
        assert client.get(f"/reports/{kind}/download/csv?period={OCTOBER}").status_code == 403, kind
        assert client.post(f"/reports/{kind}/run", data={"period": OCTOBER}).status_code == 403, kind
    for kind in ("verification_due", "readings_missing"):
        response = client.get(f"/reports/{kind}/?period={OCTOBER}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        parsed = table_of(text)
        codes = [c for c, _t in parsed.headers]
        buildings = {r[codes.index("building_code")] for r in parsed.rows}
        assert buildings == {"E2"}, (kind, buildings)  # E1's meters are not theirs
        assert not any(c.kind == "money" for c in kinds()[kind].build(db.session, ReportFilters(period=OCTOBER)).columns)
        assert "грн" not in text.split('id="report-table"')[1]
        # a building of another inspector's: refused next to the field
        refused = client.get(f"/reports/{kind}/?period={OCTOBER}&building=E1")
        assert refused.status_code == 200 and 'id="report-table"' not in refused.get_data(as_text=True)
        assert field_error(refused.get_data(as_text=True), "building") == "Немає будинку з кодом E1"
        csv_file = client.get(f"/reports/{kind}/download/csv?period={OCTOBER}").get_data(as_text=True)
        assert "E1," not in csv_file and "E2," in csv_file
    # the accountant sees E1 too
    accountant = table_of(web("accountant").get(f"/reports/readings_missing/?period={OCTOBER}").get_data(as_text=True))
    assert {r[0] for r in accountant.rows} >= {"E1"} or any("E1" in r for r in accountant.rows)


# -- sorting and paging -------------------------------------------------------------------------

def test_sorted_by_a_header_and_paged_by_fifty(town, web):
    _second_building(db.session, flats=60)
    client = web("accountant")
    first = table_of(client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2").get_data(as_text=True))
    assert len(first.rows) == 50
    page = client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2&page=2").get_data(as_text=True)
    second = table_of(page)
    assert len(second.rows) == 10 and "Рядки 51–60 з 60" in page
    assert 'href="/reports/readings_missing/?period=2026-10&amp;building=E2&amp;page=2"' in \
        client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2").get_data(as_text=True)
    assert 'rel="prev"' in page and 'rel="next"' not in page
    codes = [c for c, _t in first.headers]
    serial = codes.index("serial")
    seen = [r[serial] for r in first.rows + second.rows]
    assert sorted(seen) == sorted(f"E2-CW-{n:03d}" for n in range(1, 61))  # each once over the two pages
    # a header link sorts; its second click reverses
    assert f'href="/reports/readings_missing/?period={OCTOBER}&amp;building=E2&amp;sort=serial&amp;dir=asc"' in \
        client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2").get_data(as_text=True)
    down = table_of(client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2&sort=serial&dir=desc")
                    .get_data(as_text=True))
    assert [r[serial] for r in down.rows][:3] == ["E2-CW-060", "E2-CW-059", "E2-CW-058"]
    last = table_of(client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2&sort=serial&dir=desc"
                               "&page=2").get_data(as_text=True))
    assert [r[serial] for r in last.rows][-1] == "E2-CW-001"
    # stable: sorted by entrance, the flats of an entrance keep the report's own (natural) order
    by_entrance = table_of(client.get(f"/reports/readings_missing/?period={OCTOBER}&building=E2&sort=entrance")
                           .get_data(as_text=True))
    flats = [r[codes.index("number")] for r in by_entrance.rows[:20]]
    assert flats == [str(n) for n in range(1, 21)]
    # an unknown sort column or a page past the end: the table still shows
    assert client.get(f"/reports/readings_missing/?period={OCTOBER}&sort=nope&dir=sideways&page=99").status_code == 200


# -- filter errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,args,field,message", [
    ("turnover", {"period": "2026-13"}, "period", "Період вказується у форматі РРРР-ММ: 2026-13"),
    ("turnover", {"period": "abc"}, "period", None),
    ("payments", {"period": OCTOBER, "date_from": "31.02.2026"}, "date_from", None),
    ("payments", {"period": OCTOBER, "date_from": "10.10.2026", "date_to": "01.10.2026"}, "date_to", None),
    ("turnover", {"period": OCTOBER, "building": "NOPE"}, "building", "Немає будинку з кодом NOPE"),
    ("turnover", {"period": OCTOBER, "account": "X'; drop"}, "account", None),
    ("turnover", {"period": OCTOBER, "service": "ZZ"}, "service", None),
    ("turnover", {"period": OCTOBER, "group": "nonsense"}, "group", None),
    ("debtors", {"period": OCTOBER, "min_debt": "багато"}, "min_debt", None),
])
def test_a_bad_filter_is_shown_next_to_its_field_keeping_what_was_typed(town, web, kind, args, field, message):
    spec = kinds()[kind]
    if field not in ("period", "date_from", "date_to", "building", "service", "account"):
        assert field in [o.name for o in spec.own_filters], [o.name for o in spec.own_filters]
    response = web("accountant").get(f"/reports/{kind}/", query_string=args)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="report-table"' not in page
    error = field_error(page, field)
    assert error and re.search(r"[А-Яа-яІіЇїЄєҐґ]{3,}", error), page[:3000]
    if message:
        assert error == message
    typed = args[field]
    assert str(escape(typed)) in page  # what the user typed stays


@pytest.mark.parametrize("query", [
    "period=%00", "period=" + "9" * 300, "date_from=99.99.9999&period=2026-10", "building=%ff%fe",
    "min_debt=1e999999&period=2026-10", "min_debt=NaN&period=2026-10", "sort=%00&dir=%00", "page=-1", "page=abc",
    "page=999999999999999999999", "older_than=1.5&period=2026-10",
])
def test_garbage_is_never_a_500(town, web, query):
    client = web("accountant")
    for kind in ("debtors", "payments", "verification_due", "periods"):
        status = client.get(f"/reports/{kind}/?{query}").status_code
        assert status in (200, 400), (kind, query, status)
        status = client.get(f"/reports/{kind}/download/xlsx?{query}").status_code
        assert status in (200, 302, 400), (kind, query, status)
    assert client.get("/reports/nope/").status_code == 404
    assert client.get("/reports/turnover/download/exe").status_code == 404
    assert client.get("/reports/run/999999/").status_code in (404, 308)


# -- downloads ------------------------------------------------------------------------------------

def test_each_download_with_the_same_filters(town, web):
    client = web("accountant")
    page = client.get(f"/reports/turnover/?period={OCTOBER}&building=E1").get_data(as_text=True)
    links = dict(re.findall(r'data-format="([\w-]+)" href="([^"]+)"', page))
    assert set(links) == {"csv", "xlsx", "csv-uk"}
    for link in links.values():
        assert "period=2026-10" in link and "building=E1" in link
    machine = client.get(html.unescape(links["csv"]))
    assert machine.mimetype == "text/csv" and machine.data[:3] != b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(machine.get_data(as_text=True))))
    assert rows[0][0] == "account_number" and len(rows) == 4  # header + the three accounts of E1
    people = client.get(html.unescape(links["xlsx"]))
    assert people.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(people.data)).active
    assert sheet.cell(1, 1).value.startswith("Оборотно-сальдова відомість") or "Оборотно" in str(sheet.cell(2, 1).value)
    excel = client.get(html.unescape(links["csv-uk"]))
    assert excel.mimetype == "text/csv" and excel.data.startswith(b"\xef\xbb\xbf")
    body = excel.data.decode("utf-8-sig")
    assert ";" in body.splitlines()[-2] or ";" in body
    lines = list(csv.reader(io.StringIO(body), delimiter=";"))
    header = next(r for r in lines if "Особовий рахунок" in r)
    assert len(header) > 5 and any(re.fullmatch(r"-?\d+,\d{2}", c) for r in lines for c in r)
    assert "attachment" in excel.headers["Content-Disposition"]

    benefits = client.get(f"/reports/benefits/?period={OCTOBER}").get_data(as_text=True)
    dbf = re.search(r'data-format="dbf" href="([^"]+)"', benefits)
    assert dbf, "the benefits' own file"
    response = client.get(html.unescape(dbf.group(1)))
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert response.data[:1] in (b"\x03", b"\x83", b"\x30", b"\xf5")  # a dBase header
    assert ".dbf" in response.headers["Content-Disposition"]


def test_the_old_billing_download_still_works(town, web):
    response = web("accountant").get(f"/billing/report/turnover?period={OCTOBER}&format=csv")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("account_number")


# -- a background run ---------------------------------------------------------------------------

def test_a_background_run_from_the_button_to_the_stored_table(town, web):
    client = web("accountant")
    spec = kinds()["charges"]
    assert spec.background
    page = client.get(f"/reports/charges/?period={OCTOBER}").get_data(as_text=True)
    assert 'id="report-build"' in page and 'id="report-table"' not in page  # nothing built on opening
    response = client.post("/reports/charges/run", data={"period": OCTOBER, "service": "CW"})
    assert response.status_code == 302
    run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert run.status == "done" and run.username == "accountant" and run.kind == "charges"  # the eager worker
    progress = client.get(f"/reports/run/{run.id}").get_json()
    assert progress["status"] == "done" and progress["percent"] == 100 and progress["rows"] == run.rows
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    parsed = table_of(page)
    codes = [c for c, _t in parsed.headers]
    assert len(parsed.rows) == run.rows > 0
    # the service by its name, not its code (the machine CSV keeps the code)
    assert {r[codes.index("service_code")] for r in parsed.rows} == {"Холодна вода"}
    amount = codes.index("amount")
    assert number(parsed.totals[amount]) == sum((number(r[amount]) for r in parsed.rows), D(0))
    # downloads come from the stored file
    links = dict(re.findall(r'data-format="([\w-]+)" href="([^"]+)"', page))
    assert links["csv"] == f"/reports/run/{run.id}/download/csv"
    stored = client.get(links["csv"])
    assert stored.mimetype == "text/csv" and len(stored.get_data(as_text=True).strip().splitlines()) == run.rows + 1
    assert client.get(links["csv-uk"]).data.startswith(b"\xef\xbb\xbf")
    # sorting the stored rows
    down = table_of(client.get(f"/reports/charges/?period={OCTOBER}&service=CW&sort=amount&dir=desc")
                    .get_data(as_text=True))
    values = [number(r[amount]) for r in down.rows]
    assert values == sorted(values, reverse=True)
    # someone else's run: neither its progress nor its file; the admin may
    operator = web("operator")
    assert operator.get(f"/reports/run/{run.id}").status_code == 403
    assert operator.get(f"/reports/run/{run.id}/download/csv").status_code == 403
    assert web("admin").get(f"/reports/run/{run.id}").status_code == 200
    # the operator's own screen does not show the accountant's run
    assert 'id="report-run"' not in operator.get(f"/reports/charges/?period={OCTOBER}&service=CW").get_data(as_text=True)


def test_a_queued_run_shows_a_progress_bar_polled_by_the_page(town, web, monkeypatch):
    from app.tasks import reports as tasks

    class Queued:
        id = "queued"

    monkeypatch.setattr(tasks.build_report_run, "delay", lambda run_id: Queued())
    client = web("accountant")
    response = client.post("/reports/charges/run", data={"period": OCTOBER})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert run.status == "queued"
    assert f'data-progress-url="/reports/run/{run.id}"' in page and 'data-status="running"' in page
    assert 'id="report-run-bar"' in page and 'id="report-build"' not in page
    assert client.get(f"/reports/run/{run.id}").get_json()["status"] == "running"  # oblik.js keeps polling
    # a second press shows the same run, not a second one
    client.post("/reports/charges/run", data={"period": OCTOBER})
    assert db.session.scalar(select(ReportRun.id).order_by(ReportRun.id.desc())) == run.id
    from app.services.reports.runs import execute

    assert execute(run.id) == "done"
    assert client.get(f"/reports/run/{run.id}").get_json()["status"] == "done"


def test_a_run_no_worker_takes_does_not_block_a_rebuild(town, web, monkeypatch):
    """No worker running (or the broker lost the message): the queued run waits for the heartbeat's
    stale() at most; then the screen, the poll and the sweep say so in Ukrainian, and the button
    queues a new run — the old message, delivered late, does nothing."""
    from datetime import timedelta

    from app.services.heartbeat import now, stale
    from app.services.reports.runs import execute, sweep_orphans
    from app.tasks import reports as tasks

    sent = []
    monkeypatch.setattr(tasks.build_report_run, "delay", lambda run_id: sent.append(run_id))
    client = web("accountant")
    client.post("/reports/charges/run", data={"period": OCTOBER})
    first = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert first.status == "queued" and sent == [first.id]
    # within stale(): the same run is shown, nothing is failed
    assert sweep_orphans() == []
    client.post("/reports/charges/run", data={"period": OCTOBER})
    assert sent == [first.id]
    # nobody took it for longer than stale()
    db.session.execute(update(ReportRun).where(ReportRun.id == first.id)
                       .values(created_at=now() - stale() - timedelta(seconds=1)))
    db.session.commit()
    poll = client.get(f"/reports/run/{first.id}").get_json()
    assert poll["status"] == "failed" and "фоновий обробник" in poll["message"].lower()
    page = client.get(f"/reports/charges/?period={OCTOBER}").get_data(as_text=True)
    assert 'id="report-run-message"' in page and 'id="report-build"' in page  # the button is back
    client.post("/reports/charges/run", data={"period": OCTOBER})
    second = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert second.id != first.id and second.status == "queued" and sent == [first.id, second.id]
    assert execute(first.id) == "failed"  # the lost message, delivered late: nothing is built
    assert execute(second.id) == "done"


def test_the_sweep_fails_a_run_nobody_took(town):
    from datetime import timedelta

    from app.services.heartbeat import now, stale
    from app.services.reports.runs import start_run, sweep_orphans

    old = start_run("charges", {"period": OCTOBER}, None, "accountant")
    fresh = start_run("charges", {"period": OCTOBER, "service": "CW"}, None, "accountant")
    db.session.execute(update(ReportRun).where(ReportRun.id == old.id)
                       .values(created_at=now() - stale() - timedelta(seconds=1)))
    db.session.commit()
    assert sweep_orphans() == [old.id]
    db.session.expire_all()
    assert db.session.get(ReportRun, old.id).status == "failed"
    assert db.session.get(ReportRun, fresh.id).status == "queued"


def test_a_post_without_the_csrf_token_is_refused(town, bdb, web):
    client = web("accountant")
    bdb.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/reports/charges/run", data={"period": OCTOBER})
        assert response.status_code == 400
    finally:
        bdb.config["WTF_CSRF_ENABLED"] = False
    assert db.session.scalar(select(ReportRun.id)) is None


def test_a_chart_is_drawn_from_the_reports_data(town, web, monkeypatch):
    from app.services.reports import periods

    original = periods.periods_report

    def with_chart(session, filters):
        report = original(session, filters)
        report.chart = {"type": "bar", "labels": ["2026-10"], "datasets": [{"label": "Нараховано", "data": [1]}],
                        "unit": "грн"}
        return report

    import dataclasses

    from app.services import reports

    real = reports.kinds

    def patched():
        found = real()
        found["periods"] = dataclasses.replace(found["periods"], build=with_chart)
        return found

    monkeypatch.setattr(reports, "kinds", patched)
    page = web("accountant").get("/reports/periods/").get_data(as_text=True)
    assert 'class="oblik-chart" data-chart=\'{"datasets": [{"data": [1], "label": "Нараховано"}]' in page \
        or re.search(r"class=\"oblik-chart\" data-chart='\{[^']*\"type\": \"bar\"", page)
    assert "/static/oblik-charts.js" in page and "/static/vendor/chart.umd.min.js" in page
    assert "oblik-charts.js" not in web("accountant").get(f"/reports/turnover/?period={OCTOBER}").get_data(as_text=True)


def test_a_report_by_account_is_built_in_the_background_for_the_whole_town_only(town, web):
    client = web("accountant")
    whole = client.get(f"/reports/turnover/?period={OCTOBER}").get_data(as_text=True)
    assert 'id="report-build"' in whole and 'id="report-table"' not in whole
    one = client.get(f"/reports/turnover/?period={OCTOBER}&building=E1").get_data(as_text=True)
    assert 'id="report-build"' not in one and len(table_of(one).rows) == 3
    # a run asked for a building is the screen's at once: no run recorded
    assert client.post("/reports/turnover/run", data={"period": OCTOBER, "building": "E1"}).status_code == 302
    assert db.session.scalar(select(ReportRun.id)) is None
    built = table_of(_build_background(client, "turnover", period=OCTOBER).get_data(as_text=True))
    assert [r[0] for r in built.rows] == ["E1-001", "E1-002", "E1-003"]


def test_a_background_run_is_built_in_the_language_of_who_asked(town, web):
    """The worker builds the report in the reader's language: its headers and the lines'
    explanations (stored as codes and numbers) — an English reader's run is a run of its own."""
    client = web("accountant")
    client.post("/reports/charges/run", data={"period": OCTOBER, "service": "CW"})
    ukrainian_run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    page = client.get(f"/reports/charges/?period={OCTOBER}&service=CW").get_data(as_text=True)
    assert "Сума = " in page and "Пояснення" in page and "Amount = " not in page
    assert client.get("/lang/en").status_code == 302
    client.post("/reports/charges/run", data={"period": OCTOBER, "service": "CW"})
    english_run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert english_run.id != ukrainian_run.id and english_run.status == "done"
    page = client.get(f"/reports/charges/?period={OCTOBER}&service=CW").get_data(as_text=True)
    assert "Amount = " in page and "Explanation" in page and "Сума = " not in page
    assert "UAH" in page and "Тариф" not in page


def test_a_big_runs_xlsx_is_written_by_the_worker_and_served_as_a_file(town, web, monkeypatch):
    """A whole town's people's XLSX takes a minute — more than a web request may last: above
    PREPARED_ROWS the worker writes it beside the rows, the download serves that file; while it
    is still being written the screen says so; a small run's file is written on the download."""
    from openpyxl import load_workbook

    from app.services.reports import runs

    client = web("accountant")
    monkeypatch.setattr(runs, "PREPARED_ROWS", 0)
    client.post("/reports/charges/run", data={"period": OCTOBER, "service": "CW"})
    run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert run.status == "done" and run.rows > 0
    path = runs.prepared_path(run, "xlsx")
    assert path.exists() and not path.with_name(path.name + ".part").exists()
    response = client.get(f"/reports/run/{run.id}/download/xlsx")
    assert response.status_code == 200 and response.data == path.read_bytes()
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert any("Сума = " in str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    # the worker is still writing it: said, not a long request
    path.unlink()
    response = client.get(f"/reports/run/{run.id}/download/xlsx", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "готується у фоні" in page
    # long after (the worker died writing it): written on the download
    monkeypatch.setattr(runs, "PREPARE_WAIT_SECONDS", -1)
    response = client.get(f"/reports/run/{run.id}/download/xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    # a small run: no file of the worker's, written on the download
    monkeypatch.setattr(runs, "PREPARED_ROWS", 10**9)
    client.post("/reports/charges/run", data={"period": OCTOBER, "service": "HEAT"})
    small = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert small.id != run.id and not runs.prepared_path(small, "xlsx").exists()
    assert client.get(f"/reports/run/{small.id}/download/xlsx").data.startswith(b"PK")


def _typed(rows):
    return [tuple((type(v), v.as_tuple() if isinstance(v, D) else v) for v in row) for row in rows]


def test_a_stored_run_reads_back_the_very_rows_the_report_built(town):
    """The screen pages a run's stored file: every cell comes back as built — each Decimal with
    its digits and exponent, dates, whole numbers, empty cells, text with quotes — in order, for
    every kind (a price used to come back as text)."""
    from app.services.reports import build, parse_filters
    from app.services.reports import runs

    with_rows = set()
    for kind, spec in kinds().items():
        built = list(build(kind, parse_filters(spec, {"period": OCTOBER}, db.session, None), db.session).rows)
        db.session.rollback()
        run = runs.start_run(kind, {"period": OCTOBER}, None, "accountant")
        assert runs.execute(run.id) == "done", kind
        run = db.session.get(ReportRun, run.id)
        assert _typed(runs.stored_report(run).rows) == _typed(built) and run.rows == len(built), kind
        if built:
            with_rows.add(kind)
    assert {"charges", "turnover", "debtors", "consumption", "periods"} <= with_rows


def test_a_stored_cell_keeps_its_exact_value():
    from app.services.reports import runs

    kinds_ = ("text", "money", "quantity", "price", "int", "date", "text", "quantity", "money")
    row = ('вул. «Шевченка», 1 "А"\\', D("-0.00"), D("1E+2"), D("7.95689"), 0, date(2026, 2, 28), None,
           D("0.0000"), D("123456789.01"))
    line = runs._ROW(row)
    assert "\n" not in line
    import json

    back = tuple(runs._decoder(k)(v) for k, v in zip(kinds_, json.loads(line)))
    assert _typed([back]) == _typed([row])


def test_a_stored_runs_page_is_read_from_its_index_and_the_same_without_it(town, web, monkeypatch):
    """A page of a run's table is read from its page index, without reading the other rows (a
    whole town's charge lines are 750,000): the same rows, totals and count as reading them all —
    and a run stored before the index existed is still paged, by reading every row."""
    import app.views.reports as screen
    from app.services.reports import runs

    for module in (runs, screen):  # pages of 4 rows: the town's month has 15 lines
        monkeypatch.setattr(module, "PAGE", 4)
    client = web("accountant")
    response = client.post("/reports/charges/run", data={"period": OCTOBER})
    run = db.session.scalar(select(ReportRun).order_by(ReportRun.id.desc()))
    assert response.status_code == 302 and run.status == "done" and run.rows > runs.PAGE
    report = runs.stored_report(run)
    every = list(report.rows)
    last_page = -(-run.rows // runs.PAGE)
    rows, totals, count = runs.stored_page(run, report, last_page)
    assert count == run.rows and _typed(rows) == _typed(every[(last_page - 1) * runs.PAGE:])
    assert totals[[c.code for c in report.columns].index("amount")] == sum(r[6] for r in every)
    assert runs.stored_page(run, report, last_page + 1)[0] == []
    pages = {}
    orders = ("", "&sort=amount&dir=desc", "&sort=amount", "&sort=kind", "&sort=explanation&dir=desc")
    for indexed in (True, False):
        if not indexed:
            runs.pages_path(Path(run.file_path)).unlink()
            assert runs.stored_page(run, report, 1) is None
        for order in orders:
            for page in (1, 2, last_page, last_page + 5, 2):  # the second page 2: from the kept order
                parsed = table_of(client.get(f"/reports/charges/?period={OCTOBER}&page={page}{order}")
                                  .get_data(as_text=True))
                pages[indexed, order, page] = (parsed.rows, parsed.totals)
            assert pages[indexed, order, 1][0] != pages[indexed, order, 2][0]
            assert pages[indexed, order, last_page + 5] == pages[indexed, order, last_page]
            assert len(pages[indexed, order, 1][0]) == runs.PAGE and pages[indexed, order, 1][1] is not None
    assert {k[1:]: v for k, v in pages.items() if k[0]} == {k[1:]: v for k, v in pages.items() if not k[0]}
    amount = [c.code for c in report.columns if c.people].index("amount")
    shown = [number(r[amount]) for p in range(1, last_page + 1) for r in pages[True, "&sort=amount&dir=desc", p][0]] \
        if all((True, "&sort=amount&dir=desc", p) in pages for p in range(1, last_page + 1)) else None
    kept = sorted(Path(run.file_path).parent.glob(f"{Path(run.file_path).stem}.sort-*.bin"))
    assert [k.name.split(".sort-")[1] for k in kept] == ["amount-asc.bin", "amount-desc.bin", "explanation-desc.bin",
                                                        "kind-asc.bin"]
    assert shown is None or shown == sorted(shown, reverse=True)


def test_a_run_leaves_no_file_of_an_earlier_run_with_its_id(town):
    """Run ids start again in a new database (and SQLite reuses a deleted last id): the files an
    earlier run of the same id left — its rows, page index, kept orders, the worker's XLSX — are
    removed before the run writes its own, so none is served for it."""
    from app.services.reports import runs

    run = runs.start_run("charges", {"period": OCTOBER}, None, "accountant")
    folder = runs.directory()
    left = [folder / f"report-{run.id}.{suffix}" for suffix in ("sort-amount-asc.bin", "xlsx", "pages.json")]
    for path in left:
        path.write_bytes(b"an earlier run's")
    other = folder / f"report-{run.id}0.xlsx"  # another run's file stays
    other.write_bytes(b"another run's")
    assert runs.execute(run.id) == "done"
    assert [p.exists() for p in left] == [False, False, True] and other.read_bytes() == b"another run's"
    assert runs.pages_path(folder / f"report-{run.id}.jsonl").read_bytes() != b"an earlier run's"
    other.unlink()


def test_a_new_run_removes_the_files_of_the_same_users_earlier_run_of_the_same_report(town, web):
    """«Побудувати знову» keeps one copy: the earlier run's rows, index and kept orders go (a whole
    town's charge lines are 300 MB with their XLSX); its download answers 404; another user's
    run of the same report and the user's run with other filters keep theirs."""
    from app.services.reports import runs

    def run_of(user, **filters):
        run = runs.start_run("charges", {"period": OCTOBER, **filters}, None, user)
        assert runs.execute(run.id) == "done"
        return db.session.get(ReportRun, run.id)

    first, other_user, other_filters = run_of("accountant"), run_of("admin"), run_of("accountant", service="CW")
    client = web("accountant")
    assert client.get(f"/reports/charges/?period={OCTOBER}&sort=amount").status_code == 200  # keeps an order
    files = sorted(p.name for p in runs.directory().glob(f"report-{first.id}.*"))
    assert files == [f"report-{first.id}.jsonl", f"report-{first.id}.pages.json",
                     f"report-{first.id}.sort-amount-asc.bin"]
    assert client.get(f"/reports/run/{first.id}/download/csv").status_code == 200
    second = run_of("accountant")
    db.session.refresh(first)
    assert first.file_path is None and not list(runs.directory().glob(f"report-{first.id}.*"))
    assert client.get(f"/reports/run/{first.id}/download/csv").status_code == 404
    assert client.get(f"/reports/run/{second.id}/download/csv").status_code == 200
    for kept in (other_user, other_filters):
        db.session.refresh(kept)
        assert kept.file_path and Path(kept.file_path).exists()
    table = table_of(client.get(f"/reports/charges/?period={OCTOBER}").get_data(as_text=True))
    assert len(table.rows) == second.rows  # the screen shows the latest run
