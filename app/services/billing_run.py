"""Розрахунок за період: the open period's draft, computed by building (billing.md §10).

A run covers the open period — every building, or one. It takes the period's lock
(:mod:`.billing_lock`: a second run or a close of the same period is refused with a message),
splits the buildings into chunks of about ``CHUNK_ACCOUNTS`` accounts, and bills each chunk:
the chunk's data in a fixed number of set-based queries (:mod:`.billing_data`), the closed
months to recalculate (:mod:`.recalculation`), the engine per building, and the draft stored
per building in one transaction — the building's previous draft (lines, warnings, meter
volumes) is replaced whole or not at all. A re-run on unchanged data stores identical lines.

Chunks run in this process, in a pool of processes (``jobs``; the command line and the
benchmark), or as Celery tasks (``app.tasks.billing``, the «Розрахунок» screen); each chunk
adds its buildings to the run's progress, and the one that completes the run finishes it and
gives the lock back.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import time
import traceback
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, text, update

from ..billing import bill_period
from ..billing.periods import parse_period
from ..extensions import db
from ..models import (
    Account, BillingBuilding, BillingRun, BillingWarning, Building, ChargeLine, MeterMonthDraft, Premise,
)
from . import billing_lock
from .billing_data import building_accounts, load_buildings, load_catalog
from .periods import current_period
from .recalculation import current_mark, recalculate, recalculation_starts

log = logging.getLogger(__name__)

CHUNK_ACCOUNTS = 2000


class BillingError(Exception):
    """A run or a close cannot start or failed (message for the user)."""


@dataclass
class Plan:
    run: BillingRun
    chunks: list[list[int]]


def _open_period(session, period: str | None) -> str:
    open_period = current_period()
    if open_period is None:
        raise BillingError(_("No period is open: open the first one with «oblik period open YYYY-MM»."))
    if period:
        try:
            parse_period(period)
        except ValueError:
            raise BillingError(_("A period is written YYYY-MM: %(value)s", value=period)) from None
        if period != open_period:
            raise BillingError(_("Only the open period %(open)s can be billed, not %(period)s.",
                                 open=open_period, period=period))
    return open_period


def start_run(period: str | None = None, building_code: str | None = None, user: str | None = None) -> Plan:
    """Check the request, take the lock, record the run and split it into chunks."""
    session = db.session
    period = _open_period(session, period)
    building_id = None
    if building_code:
        building_id = session.scalar(select(Building.id).where(Building.code == building_code))
        if building_id is None:
            raise BillingError(_("No building with code %(code)s.", code=building_code))
    run = BillingRun(period=period, building_id=building_id, status="running", started_by=user)
    session.add(run)
    session.commit()
    try:
        billing_lock.acquire(session, period, "run", run.id, user)
    except billing_lock.BillingBusy as busy:
        run = session.get(BillingRun, run.id)
        session.delete(run)
        session.commit()
        raise BillingError(str(busy)) from None
    ids = [building_id] if building_id else list(session.scalars(select(Building.id).order_by(Building.id)))
    counts = building_accounts(session, ids if building_id else None, period)
    chunks, current, size = [], [], 0
    for bid in ids:
        current.append(bid)
        size += counts.get(bid, 0)
        if size >= CHUNK_ACCOUNTS:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    run = session.get(BillingRun, run.id)
    run.buildings_total, run.chunks_total = len(ids), len(chunks)
    session.commit()
    return Plan(run, chunks)


def bill_chunk(run_id: int, building_ids: list[int]) -> dict:
    """Bill a chunk of buildings of the run and add them to its progress; the last chunk
    finishes the run. Returns the chunk's counts."""
    session = db.session
    run = session.get(BillingRun, run_id)
    if run is None or run.status != "running":
        return {"skipped": True}
    period = run.period
    try:
        counts = _bill_buildings(session, run_id, period, building_ids)
    except Exception as error:  # the buildings done so far stay; the run is marked failed
        session.rollback()
        log.exception("billing run %s failed on buildings %s", run_id, building_ids)
        fail_run(run_id, _("The run stopped with an error: %(error)s", error=_short(error)),
                 traceback.format_exc())
        raise
    return counts


class _Timings:
    """Seconds spent per step of the chunks of this process (``OBLIK_BILLING_TIMINGS=1`` logs
    them per chunk, for the benchmark)."""

    def __init__(self):
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    def step(self, name: str) -> None:
        moment = time.perf_counter()
        self.steps[name] = self.steps.get(name, 0.0) + moment - self.started
        self.started = moment

    def report(self, buildings: int, accounts: int) -> None:
        if os.environ.get("OBLIK_BILLING_TIMINGS"):
            parts = " ".join(f"{k} {v:.2f}" for k, v in self.steps.items())
            print(f"[billing pid {os.getpid()}] {buildings} buildings, {accounts} accounts: {parts}", flush=True)


def _bill_buildings(session, run_id: int, period: str, building_ids: list[int]) -> dict:
    timings = _Timings()
    catalog = load_catalog(session)
    mark = current_mark(session)  # before the data is read: a later change makes the draft stale
    starts = recalculation_starts(session, catalog, building_ids, period)
    billed = {}
    if starts:
        for row in session.execute(select(BillingBuilding.building_id, BillingBuilding.period).where(
                BillingBuilding.building_id.in_(list(starts)), BillingBuilding.period < period)).all():
            billed.setdefault(row.building_id, set()).add(row.period)
    plain = [b for b in building_ids if b not in starts]
    data = load_buildings(session, catalog, plain, period) if plain else {}
    timings.step("load")
    totals = {"buildings": 0, "accounts": 0, "lines": 0, "warnings": 0}
    for building_id in building_ids:
        recalc = None
        if building_id in starts:
            recalc = recalculate(session, catalog, building_id, starts[building_id], period, billed[building_id])
            building = load_buildings(session, catalog, [building_id], period,
                                      history_before=recalc.start)[building_id]
            result = bill_period(building.billing_input(catalog, period, recalc.volumes))
        elif building_id in data:
            building = data[building_id]
            result = bill_period(building.billing_input(catalog, period))
        else:
            continue  # the building was deleted meanwhile
        timings.step("engine")
        stored = store_building(session, run_id, period, building_id, mark, result, recalc,
                                len(building.accounts), catalog.warnings)
        timings.step("store")
        session.commit()
        timings.step("commit")
        totals["buildings"] += 1
        totals["accounts"] += len(building.accounts)
        totals["lines"] += stored[0]
        totals["warnings"] += stored[1]
    _progress(session, run_id, period, len(building_ids), totals)
    timings.step("progress")
    timings.report(totals["buildings"], totals["accounts"])
    return totals


def store_building(session, run_id, period, building_id, mark, result, recalc, accounts: int,
                   catalog_warnings=()) -> tuple[int, int]:
    """Replace the building's draft with ``result`` (and its recalculation). No commit.

    On PostgreSQL the transaction commits without waiting for the WAL flush
    (``synchronous_commit off``): a crash may lose the last drafts written — the run is then
    simply repeated — but never half of one; a close waits for its own flush as usual."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.execute(delete(ChargeLine).where(ChargeLine.period == period, ChargeLine.building_id == building_id))
    session.execute(delete(BillingWarning).where(BillingWarning.period == period,
                                                 BillingWarning.building_id == building_id))
    session.execute(delete(MeterMonthDraft).where(MeterMonthDraft.building_id == building_id))
    session.execute(delete(BillingBuilding).where(BillingBuilding.period == period,
                                                  BillingBuilding.building_id == building_id))
    rows = [_line_row(period, building_id, seq, line) for seq, line in enumerate(result.lines)]
    recalculated = 0
    if recalc is not None:
        base = len(rows)
        for seq, line in enumerate(recalc.lines):
            values = dict(line, period=period, building_id=building_id, seq=base + seq)
            rows.append(tuple(values[c] for c in LINE_COLUMNS))
            recalculated += line["amount"]
    if rows:
        bulk_insert(session, ChargeLine.__table__, LINE_COLUMNS, rows)
    warnings = [_warning_row(period, period, building_id, w) for w in result.warnings]
    warnings += [(period, period, building_id, "catalog", text_, None, None, None, None) for text_ in catalog_warnings]
    if recalc is not None:
        for month, month_warnings in recalc.warnings.items():
            warnings += [_warning_row(period, month, building_id, w) for w in month_warnings]
    if warnings:
        bulk_insert(session, BillingWarning.__table__, WARNING_COLUMNS, warnings)
    volumes = {}
    for volume in (recalc.volumes if recalc else []) + list(result.meter_volumes):
        volumes[(volume.meter_id, volume.period)] = volume
    if volumes:
        bulk_insert(session, MeterMonthDraft.__table__, VOLUME_COLUMNS, [
            (building_id, v.meter_id, v.period, v.volume, v.source, v.days, v.reading_date, v.start, v.end)
            for v in volumes.values()])
    charged = sum((line.amount for line in result.lines), 0)
    session.add(BillingBuilding(period=period, building_id=building_id, run_id=run_id, change_mark=mark,
                                accounts=accounts, lines=len(rows), warnings=len(warnings), charged=charged,
                                recalculated=recalculated, recalculated_from=recalc.start if recalc else None))
    return len(rows), len(warnings)


def bulk_insert(session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows (tuples in ``columns`` order) in the session's transaction:
    PostgreSQL's COPY (several times faster than INSERT for the tens of thousands of lines of
    a chunk), an executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(rows)  # None → an unquoted empty field: NULL
    buffer.seek(0)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
    finally:
        cursor.close()


LINE_COLUMNS = ("period", "target_period", "building_id", "account_id", "service_id", "kind", "detail_kind", "seq",
                "date_from", "date_to", "days", "base_quantity", "quantity", "price", "amount", "method", "source",
                "reduction", "beneficiary_id", "explanation")
WARNING_COLUMNS = ("period", "target_period", "building_id", "code", "message", "premise_id", "account_id",
                   "service_id", "meter_id")
VOLUME_COLUMNS = ("building_id", "meter_id", "period", "volume", "source", "days", "reading_date", "start_value",
                  "end_value")


def _line_row(period, building_id, seq, line) -> tuple:
    return (period, line.period, building_id, line.account_id, line.service_id, line.kind, None, seq, line.date_from,
            line.date_to, line.days, line.base_quantity, line.quantity, line.price, line.amount, line.method,
            line.source, line.reduction, line.beneficiary_id, "\n".join(line.explanation))


def _warning_row(period, target_period, building_id, warning) -> tuple:
    return (period, target_period, building_id, warning.code, warning.message, warning.premise_id, warning.account_id,
            warning.service_id, warning.meter_id)


def _progress(session, run_id: int, period: str, buildings: int, totals: dict) -> None:
    session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
        buildings_done=BillingRun.buildings_done + buildings, chunks_done=BillingRun.chunks_done + 1,
        accounts=BillingRun.accounts + totals["accounts"], lines=BillingRun.lines + totals["lines"],
        warnings=BillingRun.warnings + totals["warnings"]))
    billing_lock.heartbeat(session, period, run_id)
    done, total, status = session.execute(select(BillingRun.chunks_done, BillingRun.chunks_total, BillingRun.status)
                                          .where(BillingRun.id == run_id)).one()
    session.commit()
    if done >= total and status == "running":
        finish_run(run_id)


def finish_run(run_id: int) -> None:
    session = db.session
    run = session.get(BillingRun, run_id)
    if run is None or run.status != "running":
        return
    run.status = "done"
    run.finished_at = billing_lock.now()
    session.commit()
    billing_lock.release(session, run.period, run_id)


def fail_run(run_id: int, message: str, details: str | None = None) -> None:
    session = db.session
    session.rollback()
    run = session.get(BillingRun, run_id)
    if run is None:
        return
    if run.status == "running":
        run.status = "failed"
        run.finished_at = billing_lock.now()
        run.message = message
        session.commit()
    billing_lock.release(session, run.period, run_id)


def _short(error) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:300]


# --- running a whole run here ---------------------------------------------------------------


def run_billing(period: str | None = None, building_code: str | None = None, user: str | None = None,
                jobs: int = 1, progress=None) -> BillingRun:
    """Bill the open period (or one building) now, in this process or in ``jobs`` processes;
    ``progress(done, total)`` is told after each chunk. Returns the finished run."""
    plan = start_run(period, building_code, user)
    run_id = plan.run.id
    total = len(plan.chunks)
    if not plan.chunks:
        finish_run(run_id)
    elif jobs > 1 and total > 1:
        _in_pool(run_id, plan.chunks, jobs, progress)
    else:
        for n, chunk in enumerate(plan.chunks, start=1):
            bill_chunk(run_id, chunk)
            if progress:
                progress(n, total)
    db.session.expire_all()
    return db.session.get(BillingRun, run_id)


def _in_pool(run_id: int, chunks: list[list[int]], jobs: int, progress) -> None:
    import multiprocessing

    from flask import current_app

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_worker_start, initargs=(uri,)) as pool:
        done = 0
        try:
            for _chunk in pool.imap_unordered(_worker_chunk, [(run_id, chunk) for chunk in chunks]):
                done += 1
                if progress:
                    progress(done, len(chunks))
        except Exception:
            pool.terminate()
            raise


_worker_app = None


def _worker_start(uri: str) -> None:
    global _worker_app
    from .. import create_app

    os.environ.setdefault("OBLIK_CELERY_EAGER", "1")
    _worker_app = create_app({"SQLALCHEMY_DATABASE_URI": uri})


def _worker_chunk(args) -> dict:
    run_id, chunk = args
    with _worker_app.app_context():
        try:
            return bill_chunk(run_id, chunk)
        finally:
            db.session.remove()


# --- what the screens show ------------------------------------------------------------------


def latest_run(period: str) -> BillingRun | None:
    return db.session.scalar(select(BillingRun).where(BillingRun.period == period)
                             .order_by(BillingRun.id.desc()).limit(1))


def draft_totals(period: str) -> dict:
    """Per kind: lines and amount of the period's draft."""
    rows = db.session.execute(select(ChargeLine.kind, func.count(), func.sum(ChargeLine.amount))
                              .where(ChargeLine.period == period).group_by(ChargeLine.kind)).all()
    return {kind: (count, amount) for kind, count, amount in rows}


def unbilled_buildings(session, period: str) -> list[str]:
    """Codes of buildings with accounts open in ``period`` and no draft of it."""
    from sqlalchemy import or_

    from ..billing.periods import first_day, last_day

    first, last = first_day(period), last_day(period)
    with_accounts = select(Premise.building_id).join(Account, Account.premise_id == Premise.id).where(
        Account.opened_on <= last, or_(Account.closed_on.is_(None), Account.closed_on >= first))
    billed = select(BillingBuilding.building_id).where(BillingBuilding.period == period)
    return list(session.scalars(select(Building.code).where(Building.id.in_(with_accounts),
                                                            Building.id.not_in(billed)).order_by(Building.code)))
