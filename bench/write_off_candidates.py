"""Bench: write-off candidates and aging over 100,000 accounts, 2 services, 40 months (15.9 million
journal entries) on PostgreSQL: `createdb -h 127.0.0.1 -U postgres oblik_writeoff_bench`, then
`PYTHONPATH=. .venv/bin/python bench/write_off_candidates.py` (docs/documents.md has the figures).
Prints the seconds of: the stored debt ages from the whole journal, the candidates and the aging
from them, and the close's step to the next month."""
import time
from datetime import date

import sqlalchemy as sa

from tests.conftest import make_app

URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/oblik_writeoff_bench"
app = make_app(SQLALCHEMY_DATABASE_URI=URL)
with app.app_context():
    from app.extensions import db
    from app.services.setup import upgrade_database
    from app.services import ledger

    upgrade_database()
    s = db.session
    if not s.execute(sa.text("SELECT count(*) FROM account")).scalar():
        t = time.time()
        run = lambda q: s.execute(sa.text(q))
        run("INSERT INTO service (id, code, name, unit, method, area_basis, quantity_precision) VALUES "
            "(1, 'UTR', 'Утримання', 'м²', 'area', 'total', 2), (2, 'TPV', 'Відходи', 'особа', 'persons', 'total', 3)")
        run("INSERT INTO building (id, code, address, imbalance_key, heat_system_share, heat_common_share, heat_min_share)"
            " SELECT g, 'B' || g, 'вул. Тестова, ' || g, 'volume', 0.05, 0.1, 0.5 FROM generate_series(1, 1000) g")
        run("INSERT INTO premise (id, building_id, number, kind, total_area, heating)"
            " SELECT g, (g - 1) / 100 + 1, ((g - 1) % 100 + 1)::text, 'apartment', 50, 'central' FROM generate_series(1, 100000) g")
        run("INSERT INTO account (id, account_number, premise_id, owner_name, opened_on, einvoice_consent)"
            " SELECT g, 'A' || lpad(g::text, 6, '0'), g, 'Власник ' || g, '2020-01-01', false FROM generate_series(1, 100000) g")
        # 40 months 2023-07 … 2026-10, two services; every account pays every month except that
        # one in ten stopped paying in 2023 (old debts), one in ten pays half
        run("""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
            SELECT 'charge', a, sv, to_char(m, 'YYYY-MM'), (m + interval '1 month' - interval '1 day')::date, to_char(m, 'YYYY-MM'),
                   CASE sv WHEN 1 THEN 400 ELSE 40 END, 'bench', 'bench', now()
            FROM generate_series(1, 100000) a, generate_series(1, 2) sv,
                 generate_series('2023-07-01'::date, '2026-10-01'::date, interval '1 month') m""")
        run("""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
            SELECT 'payment', a, sv, to_char(m, 'YYYY-MM'), (m + interval '14 days')::date, to_char(m, 'YYYY-MM'),
                   -(CASE sv WHEN 1 THEN 400 ELSE 40 END) * CASE WHEN a % 10 = 1 THEN 0.5 ELSE 1 END, 'bench-pay', 'bench', now()
            FROM generate_series(1, 100000) a, generate_series(1, 2) sv,
                 generate_series('2023-07-01'::date, '2026-10-01'::date, interval '1 month') m
            WHERE a % 10 <> 0 OR m >= '2024-01-01'""")
        run("INSERT INTO period (period, status) VALUES ('2026-11', 'open')")
        s.commit()
        run("ANALYZE journal_entry")
        s.commit()
        print("built in", round(time.time() - t, 1), "s;", s.execute(sa.text("SELECT count(*) FROM journal_entry")).scalar(), "entries")
    def timed(label, call):
        t = time.time()
        result = call()
        print(f"{label}: {time.time() - t:.1f} s")
        return result

    # the stored state of October: from the whole journal the first time (a database upgraded to
    # migration 0022), then every close carries it on from the month before
    run("DELETE FROM debt_age"); run("DELETE FROM debt_age_period"); s.commit()
    timed("debt ages of 2026-10 from the whole journal (once, after the upgrade)",
          lambda: ledger.store_debt_ages(s, "2026-10"))
    s.commit()
    for day in (date(2026, 11, 30), date(2030, 1, 1)):
        found = timed(f"write-off candidates on {day}", lambda: ledger.debts_older_than(s, 36, day))
        print("   ", len(found), "candidates, total", sum(c.amount for c in found))
    ages = timed("aging of every account and service (debtors)", lambda: ledger.aging(s, date(2026, 11, 30)))
    print("   ", len(ages), "pairs with a debt or an advance")
    # November: charges and payments as every month, then the close's step
    run("""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
        SELECT 'charge', a, sv, '2026-11', '2026-11-30', '2026-11', CASE sv WHEN 1 THEN 400 ELSE 40 END, 'bench-nov', 'bench', now()
        FROM generate_series(1, 100000) a, generate_series(1, 2) sv""")
    run("""INSERT INTO journal_entry (kind, account_id, service_id, posting_period, value_date, target_period, amount, document, created_by, created_at)
        SELECT 'payment', a, sv, '2026-11', '2026-11-15', '2026-11', -(CASE sv WHEN 1 THEN 400 ELSE 40 END), 'bench-nov', 'bench', now()
        FROM generate_series(1, 100000) a, generate_series(1, 2) sv WHERE a % 10 > 1""")
    recomputed = timed("the close's step: debt ages of 2026-11 from 2026-10's and November's entries",
                       lambda: ledger.store_debt_ages(s, "2026-11"))
    print("   ", recomputed, "accounts computed from their whole journal")
    s.rollback()
