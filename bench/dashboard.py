"""Bench: the home page's figures (app/services/dashboard.py) at 100,000 accounts on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres oblik_dashboard_bench   # or pass --database-url
    PYTHONPATH=. .venv/bin/python bench/dashboard.py [--accounts 100000]

Builds (once; reused when it is there) 1,000 buildings of 100 flats, an account each, two
services and a meter per flat, 13 months of journal (2025-10 … 2026-10: a charge and a payment
per account and service, one account in ten pays nothing since 2026-05, one in ten half), the
debt ages stored at the close of 2026-10, and in the open 2026-11 a payment of most accounts
(the entries the aging steps over). Then prints the seconds of each part of the dashboard and of
the whole, each the best of three.
"""
import argparse
import time
from datetime import date

import sqlalchemy as sa

from tests.conftest import make_app

parser = argparse.ArgumentParser()
parser.add_argument("--accounts", type=int, default=100000)
parser.add_argument("--database-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/oblik_dashboard_bench")
args = parser.parse_args()
N = args.accounts

app = make_app(SQLALCHEMY_DATABASE_URI=args.database_url)
with app.app_context():
    from app.extensions import db
    from app.services import ledger
    from app.services.dashboard import dashboard, period_state
    from app.services.reports.consumption import imbalance_trend
    from app.services.reports.worklists import readings_missing_count
    from app.services.setup import upgrade_database

    upgrade_database()
    s = db.session
    run = lambda q: s.execute(sa.text(q))  # noqa: E731
    if not s.execute(sa.text("SELECT count(*) FROM account")).scalar():
        t = time.time()
        buildings = (N + 99) // 100
        run("INSERT INTO service (id, code, name, unit, method, area_basis, quantity_precision) VALUES "
            "(1, 'UTR', 'Утримання', 'м²', 'area', 'total', 2), (2, 'TPV', 'Відходи', 'особа', 'persons', 'total', 3)")
        run("INSERT INTO meter_type (id, code, name, resource, digits, verification_years) VALUES "
            "(1, 'CW', 'Лічильник води', 'cold_water', 5, 6)")
        run("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, heat_common_share, heat_min_share)"
            f" SELECT g, 'B' || g, 'вул. Тестова, ' || g, 'volume', 0.05, 0.1, 0.5 FROM generate_series(1, {buildings}) g")
        run("INSERT INTO premise (id, building_id, number, kind, total_area, heating)"
            f" SELECT g, (g - 1) / 100 + 1, ((g - 1) % 100 + 1)::text, 'apartment', 50, 'central' FROM generate_series(1, {N}) g")
        run("INSERT INTO account (id, account_number, premise_id, owner_name, opened_on, einvoice_consent)"
            f" SELECT g, 'A' || lpad(g::text, 6, '0'), g, 'Власник ' || g, '2020-01-01', false FROM generate_series(1, {N}) g")
        run("INSERT INTO meter (id, serial, meter_type_id, building_id, premise_id, installed_on, initial_reading)"
            f" SELECT g, 'M' || g, 1, (g - 1) / 100 + 1, g, '2020-01-01', 0 FROM generate_series(1, {N}) g")
        run("INSERT INTO reading (meter_id, date, value, source)"
            f" SELECT g, '2026-11-20', 10, 'inspector' FROM generate_series(1, {N}) g WHERE g % 3 <> 0")
        run(f"""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
            SELECT 'charge', a, sv, to_char(m, 'YYYY-MM'), (m + interval '1 month' - interval '1 day')::date, to_char(m, 'YYYY-MM'),
                   CASE sv WHEN 1 THEN 400 ELSE 40 END, 'bench', 'bench', now()
            FROM generate_series(1, {N}) a, generate_series(1, 2) sv,
                 generate_series('2025-10-01'::date, '2026-10-01'::date, interval '1 month') m""")
        run(f"""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
            SELECT 'payment', a, sv, to_char(m, 'YYYY-MM'), (m + interval '14 days')::date, to_char(m, 'YYYY-MM'),
                   -(CASE sv WHEN 1 THEN 400 ELSE 40 END) * CASE WHEN a % 10 = 1 THEN 0.5 ELSE 1 END, 'bench-pay', 'bench', now()
            FROM generate_series(1, {N}) a, generate_series(1, 2) sv,
                 generate_series('2025-10-01'::date, '2026-10-01'::date, interval '1 month') m
            WHERE a % 10 <> 0 OR m < '2026-05-01'""")
        run("INSERT INTO period (period, status, closed_at) SELECT to_char(m, 'YYYY-MM'), 'closed', now() FROM "
            "generate_series('2025-10-01'::date, '2026-10-01'::date, interval '1 month') m")
        run("INSERT INTO period (period, status) VALUES ('2026-11', 'open')")
        s.commit()
        run("ANALYZE")
        s.commit()
        t2 = time.time()
        ledger.store_debt_ages(s, "2026-10")
        s.commit()
        run(f"""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
            SELECT 'payment', a, sv, '2026-11', '2026-11-15', '2026-11', -(CASE sv WHEN 1 THEN 400 ELSE 40 END), 'bench-nov', 'bench', now()
            FROM generate_series(1, {N}) a, generate_series(1, 2) sv WHERE a % 10 > 1""")
        s.commit()
        run("ANALYZE journal_entry")
        s.commit()
        print(f"built in {time.time() - t:.0f} s (debt ages of 2026-10: {time.time() - t2:.0f} s);",
              s.execute(sa.text("SELECT count(*) FROM journal_entry")).scalar(), "entries")

    def timed(label, call, repeat=3):
        best = None
        for _ in range(repeat):
            t = time.time()
            result = call()
            spent = time.time() - t
            best = spent if best is None else min(best, spent)
            s.rollback()
        print(f"{label:55s} {best:6.2f} s")
        return result

    day = date(2026, 11, 20)
    timed("ledger.charged_collected (12 months)", lambda: ledger.charged_collected(s, 12))
    timed("ledger.aging_totals (debt and its age)", lambda: ledger.aging_totals(s, day))
    timed("consumption.imbalance_trend", lambda: imbalance_trend(s, "2026-11", 12))
    timed("worklists.readings_missing_count", lambda: readings_missing_count(s, "2026-11"))
    timed("the open period's state", lambda: period_state(s, "2026-11"))
    board = timed("dashboard() — everything (an accountant)", lambda: dashboard(s, today=day))
    app.config["DASHBOARD_CACHE"] = True  # as in production (TESTING turns it off)
    dashboard(s, today=day)
    timed("dashboard() — the next view, the journal unchanged (cached aging)", lambda: dashboard(s, today=day))
    app.config["DASHBOARD_CACHE"] = False
    timed("dashboard() — an inspector (readings of 20 buildings)",
          lambda: dashboard(s, today=day, money=False, billing=False, building_ids=list(range(1, 21))))
    print("debt", board.aging["debt"], "rate of 2026-10", board.rate_last_closed, "% of 12 months", board.rate_year,
          "%; readings missing", board.readings_missing)
