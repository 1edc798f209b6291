"""The run's lifecycle — the single writer of a run's status (``running`` → ``done`` or
``failed``): it checks the request, takes the period's lock (:mod:`.lock`), records the run and
splits its buildings into chunks of about ``CHUNK_ACCOUNTS`` accounts, recorded with the run
(``billing_chunk``); each chunk is billed (:func:`bill_chunk`: the chunk's data loaded at
once, then :func:`.building.bill_building` and :func:`.draft.store_building` per building,
one transaction each, the lock's heartbeat moved on meanwhile) and adds its buildings to the
progress once, however often it is delivered; the chunk that completes the run finishes it
and gives the lock back. A run that fails keeps its message for everyone and its traceback
for the admin (:func:`fail_run`, :func:`failure`); a run whose process died is found by its
silent lock and failed (:func:`sweep_orphans`).
"""
from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, func, insert, select, update

from ...billing.periods import parse_period
from ...extensions import db
from ...models import BillingBuilding, BillingChunk, BillingLock, BillingRun, Building
from ..periods import current_period
from . import lock
from .building import bill_building
from .draft import store_building
from .load import building_accounts, load_buildings, load_catalog
from .recalculation import current_mark, recalculation_starts
from ...validation.readings import local_moment

log = logging.getLogger(__name__)

CHUNK_ACCOUNTS = 2000
MAX_ATTEMPTS = 3  # a chunk taken up more often than this (it kills its worker) fails the run
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
    """Check the request, sweep an orphaned run of the period, take the lock, record the run
    with its chunks (:class:`BillingChunk`)."""
    session = db.session
    period = _open_period(period)
    building_id = None
    if building_code:
        building_id = session.scalar(select(Building.id).where(Building.code == building_code))
        if building_id is None:
            raise BillingError(_("No building with code %(code)s.", code=building_code))
    sweep_orphans(period)
    run = BillingRun(period=period, building_id=building_id, status="running", started_by=user)
    session.add(run)
    session.flush()
    try:
        lock.acquire(session, period, "run", run.id, user)  # commits the run with its lock, or neither
    except lock.BillingBusy as busy:
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
    if chunks:
        session.execute(insert(BillingChunk), [{"run_id": run.id, "seq": seq, "buildings": chunk, "attempts": 0}
                                               for seq, chunk in enumerate(chunks)])
    session.commit()
    return Plan(run, chunks)


def bill_chunk(run_id: int, seq: int) -> dict:
    """Bill the chunk ``seq`` of the run and add its buildings to the progress; the last chunk
    finishes the run. Returns the chunk's counts.

    Idempotent: a chunk already done does nothing; a chunk taken up again (its worker died, the
    broker delivered it again) skips the buildings this run has already stored and adds to the
    progress once (the chunk's ``finished_at`` is set in the same transaction). A chunk taken
    up more than ``MAX_ATTEMPTS`` times — it kills its worker, say out of memory — fails the
    run instead of looping. The run's lock is kept alive while the chunk works; once it is
    gone (the run was swept as an orphan) the chunk stops."""
    session = db.session
    run = session.get(BillingRun, run_id)
    if run is None or run.status != "running":
        return {"skipped": True}
    taken = _take_chunk(session, run_id, seq)
    if taken is None:
        return {"skipped": True}
    building_ids, attempts = taken
    period = run.period
    if attempts > MAX_ATTEMPTS:
        fail_run(run_id, _("The run stopped: its chunk of buildings no. %(chunk)s was taken up %(count)s times "
                           "and never finished (its process was killed each time).", chunk=seq + 1, count=attempts - 1))
        return {"failed": True}
    try:
        with lock.keep_alive(period, run_id) as beat:
            if not beat.alive:
                return {"skipped": True}
            return _bill_buildings(session, run_id, seq, period, building_ids, beat)
    except Exception as error:  # the buildings done so far stay; the run is marked failed
        session.rollback()
        log.exception("billing run %s failed on buildings %s", run_id, building_ids)
        fail_run(run_id, _("The run stopped with an error: %(error)s", error=_short(error)), traceback.format_exc())
        raise


def _take_chunk(session, run_id: int, seq: int):
    """(building ids, attempts so far including this one) of a chunk not done yet, else None."""
    taken = session.execute(update(BillingChunk).where(BillingChunk.run_id == run_id, BillingChunk.seq == seq,
                                                       BillingChunk.finished_at.is_(None))
                            .values(attempts=BillingChunk.attempts + 1)).rowcount
    row = session.execute(select(BillingChunk.buildings, BillingChunk.attempts)
                          .where(BillingChunk.run_id == run_id, BillingChunk.seq == seq)).first() if taken else None
    session.commit()
    return (list(row.buildings), row.attempts) if row else None


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


def _bill_buildings(session, run_id: int, seq: int, period: str, building_ids: list[int], beat) -> dict:
    timings = _Timings()
    done = set(session.scalars(select(BillingBuilding.building_id).where(
        BillingBuilding.run_id == run_id, BillingBuilding.building_id.in_(building_ids))))
    todo = [b for b in building_ids if b not in done]  # stored by an earlier attempt of this chunk: kept
    if todo:
        mark = current_mark(session)  # before any data is read (the catalog too): a later change makes the draft stale
        catalog = load_catalog(session)
        recalculate = recalculation_starts(session, catalog, todo, period)
        plain = [b for b in todo if b not in recalculate]
        data = load_buildings(session, catalog, plain, period) if plain else {}
        timings.step("load")
    for building_id in todo:
        if building_id not in recalculate and building_id not in data:
            continue  # the building was deleted meanwhile
        bill = bill_building(session, catalog, building_id, period, recalculate.get(building_id, ()),
                             data.get(building_id))
        if bill is None:
            continue
        timings.step("engine")
        store_building(session, run_id, mark, bill)
        timings.step("store")
        session.commit()
        timings.step("commit")
        if not beat.beat():  # the run was swept meanwhile: stop, add nothing
            return {"skipped": True}
    totals = _progress(session, run_id, seq, period, building_ids)
    timings.step("progress")
    timings.report(totals["buildings"], totals["accounts"])
    return totals


def _progress(session, run_id: int, seq: int, period: str, building_ids: list[int]) -> dict:
    """Mark the chunk done and add its buildings (as stored by this run) to the progress, in one
    transaction; nothing when another attempt of the chunk did it first."""
    marked = session.execute(update(BillingChunk).where(BillingChunk.run_id == run_id, BillingChunk.seq == seq,
                                                        BillingChunk.finished_at.is_(None))
                             .values(finished_at=lock.now())).rowcount
    if marked != 1:
        session.rollback()
        return {"skipped": True}
    buildings, accounts, lines, warnings = session.execute(
        select(func.count(), func.coalesce(func.sum(BillingBuilding.accounts), 0),
               func.coalesce(func.sum(BillingBuilding.lines), 0), func.coalesce(func.sum(BillingBuilding.warnings), 0))
        .where(BillingBuilding.run_id == run_id, BillingBuilding.building_id.in_(building_ids))).one()
    totals = {"buildings": buildings, "accounts": int(accounts), "lines": int(lines), "warnings": int(warnings)}
    session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
        buildings_done=BillingRun.buildings_done + len(building_ids), chunks_done=BillingRun.chunks_done + 1,
        accounts=BillingRun.accounts + totals["accounts"], lines=BillingRun.lines + totals["lines"],
        warnings=BillingRun.warnings + totals["warnings"]))
    lock.heartbeat(session, period, run_id)
    done, total, status = session.execute(select(BillingRun.chunks_done, BillingRun.chunks_total, BillingRun.status)
                                          .where(BillingRun.id == run_id)).one()
    session.commit()
    if done >= total and status == "running":
        finish_run(run_id)
    return totals


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


def sweep_orphans(period: str | None = None) -> list[int]:
    """Runs whose process died, marked failed and their locks dropped (of ``period``, or all):
    a lock whose heartbeat has been silent for :func:`.lock.stale`, and a run left
    ``running`` without its lock. A silent close's lock is dropped (its transaction died with
    its process). Called by beat every ``SWEEP_SECONDS`` (``app.tasks.housekeeping``) and by
    the next Run or Close of the period. Returns the ids of the runs marked failed."""
    session = db.session
    failed = []
    for silent in lock.silent(session, period):
        seen = local_moment(silent.heartbeat_at).strftime("%d.%m.%Y %H:%M:%S")
        run_id = silent.run_id
        if not lock.drop_silent(session, silent.period):  # it moved on meanwhile: alive
            continue
        if run_id is not None and _mark_orphan(session, run_id, seen):
            failed.append(run_id)
        session.commit()
    held = select(BillingLock.run_id).where(BillingLock.period == BillingRun.period, BillingLock.run_id == BillingRun.id)
    stmt = select(BillingRun.id).where(BillingRun.status == "running", ~exists(held))
    if period is not None:
        stmt = stmt.where(BillingRun.period == period)
    for run_id in session.scalars(stmt).all():
        if _mark_orphan(session, run_id, None):
            failed.append(run_id)
    session.commit()
    for run_id in failed:
        log.warning("billing run %s swept: its process stopped", run_id)
    return failed


def _mark_orphan(session, run_id: int, seen: str | None) -> bool:
    message = (_("The process of this run stopped: no sign of life since %(at)s. Nothing is running now; "
                 "start the run again.", at=seen) if seen else
               _("The process of this run stopped before it took the lock. Nothing is running now; "
                 "start the run again."))
    return session.execute(update(BillingRun).where(BillingRun.id == run_id, BillingRun.status == "running")
                           .values(status="failed", finished_at=lock.now(), message=message)).rowcount == 1


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
        for seq in range(total):
            bill_chunk(run_id, seq)
            if progress:
                progress(seq + 1, total)
    db.session.expire_all()
    return db.session.get(BillingRun, run_id)
