"""The run's lifecycle — the single writer of a run's status (``running`` → ``done`` or
``failed``): it checks the request, takes the period's lock (:mod:`.lock`), records the run and
splits its buildings into chunks of about ``CHUNK_ACCOUNTS`` accounts; each chunk is billed
(:func:`bill_chunk`: the chunk's data loaded at once, then :func:`.building.bill_building`
and :func:`.draft.store_building` per building, one transaction each) and adds its
buildings to the progress; the chunk that completes the run finishes it and gives the lock
back. A run that fails keeps its message for everyone and its traceback for the admin
(:func:`fail_run`, :func:`failure`).
"""
from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from ...billing.periods import parse_period
from ...extensions import db
from ...models import BillingRun, Building
from ..periods import current_period
from . import lock
from .building import bill_building
from .draft import store_building
from .load import building_accounts, load_buildings, load_catalog
from .recalculation import current_mark, recalculation_starts

log = logging.getLogger(__name__)

CHUNK_ACCOUNTS = 2000
TRACEBACK_MARK = "\n\n--- traceback ---\n"  # in ``BillingRun.message``: the admin's part follows


class BillingError(Exception):
    """A run or a close cannot start or failed (message for the user)."""


@dataclass
class Plan:
    run: BillingRun
    chunks: list[list[int]]


def _open_period(period: str | None) -> str:
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
    period = _open_period(period)
    building_id = None
    if building_code:
        building_id = session.scalar(select(Building.id).where(Building.code == building_code))
        if building_id is None:
            raise BillingError(_("No building with code %(code)s.", code=building_code))
    run = BillingRun(period=period, building_id=building_id, status="running", started_by=user)
    session.add(run)
    session.commit()
    try:
        lock.acquire(session, period, "run", run.id, user)
    except lock.BillingBusy as busy:
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
        fail_run(run_id, _("The run stopped with an error: %(error)s", error=_short(error)), traceback.format_exc())
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
    mark = current_mark(session)  # before any data is read (the catalog too): a later change makes the draft stale
    catalog = load_catalog(session)
    recalculate = recalculation_starts(session, catalog, building_ids, period)
    plain = [b for b in building_ids if b not in recalculate]
    data = load_buildings(session, catalog, plain, period) if plain else {}
    timings.step("load")
    totals = {"buildings": 0, "accounts": 0, "lines": 0, "warnings": 0}
    for building_id in building_ids:
        if building_id not in recalculate and building_id not in data:
            continue  # the building was deleted meanwhile
        bill = bill_building(session, catalog, building_id, period, recalculate.get(building_id, ()),
                             data.get(building_id))
        if bill is None:
            continue
        timings.step("engine")
        lines, warnings = store_building(session, run_id, mark, bill)
        timings.step("store")
        session.commit()
        timings.step("commit")
        totals["buildings"] += 1
        totals["accounts"] += bill.accounts
        totals["lines"] += lines
        totals["warnings"] += warnings
    _progress(session, run_id, period, len(building_ids), totals)
    timings.step("progress")
    timings.report(totals["buildings"], totals["accounts"])
    return totals


def _progress(session, run_id: int, period: str, buildings: int, totals: dict) -> None:
    session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
        buildings_done=BillingRun.buildings_done + buildings, chunks_done=BillingRun.chunks_done + 1,
        accounts=BillingRun.accounts + totals["accounts"], lines=BillingRun.lines + totals["lines"],
        warnings=BillingRun.warnings + totals["warnings"]))
    lock.heartbeat(session, period, run_id)
    done, total, status = session.execute(select(BillingRun.chunks_done, BillingRun.chunks_total, BillingRun.status)
                                          .where(BillingRun.id == run_id)).one()
    session.commit()
    if done >= total and status == "running":
        finish_run(run_id)


def finish_run(run_id: int) -> None:
    """``running`` → ``done`` and the lock given back, in one transaction (nobody sees a run
    done whose lock is still held)."""
    session = db.session
    run = session.get(BillingRun, run_id)
    if run is None or run.status != "running":
        return
    run.status = "done"
    run.finished_at = lock.now()
    lock.release(session, run.period, run_id)  # commits both


def fail_run(run_id: int, message: str, details: str | None = None) -> None:
    """``running`` → ``failed`` with ``message`` (for everyone) and ``details`` (the
    traceback, for the admin: :func:`failure`); the lock given back."""
    session = db.session
    session.rollback()
    run = session.get(BillingRun, run_id)
    if run is None:
        return
    if run.status == "running":
        run.status = "failed"
        run.finished_at = lock.now()
        run.message = message + (TRACEBACK_MARK + details.rstrip() if details else "")
    lock.release(session, run.period, run_id)  # commits the status with the release


def failure(run: BillingRun) -> tuple[str, str]:
    """(message, traceback) of a run: what everyone sees and what only the admin sees."""
    message, _mark, details = (run.message or "").partition(TRACEBACK_MARK)
    return message, details


def _short(error) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:300]


def run_billing(period: str | None = None, building_code: str | None = None, user: str | None = None,
                jobs: int = 1, progress=None) -> BillingRun:
    """Bill the open period (or one building) now, in this process or in ``jobs`` processes
    (:mod:`.pool`); ``progress(done, total)`` is told after each chunk. Returns the finished run."""
    from .pool import bill_in_pool

    plan = start_run(period, building_code, user)
    run_id = plan.run.id
    total = len(plan.chunks)
    if not plan.chunks:
        finish_run(run_id)
    elif jobs > 1 and total > 1:
        bill_in_pool(run_id, plan.chunks, jobs, progress)
    else:
        for n, chunk in enumerate(plan.chunks, start=1):
            bill_chunk(run_id, chunk)
            if progress:
                progress(n, total)
    db.session.expire_all()
    return db.session.get(BillingRun, run_id)
