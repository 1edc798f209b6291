"""Billing in the background: the «Розрахунок» screen starts a run, the chunks of buildings run
as Celery tasks (in parallel on as many workers as there are), each adds to the run's progress
and the last one finishes it. Thin wrappers around :mod:`app.services.billing`.

A chunk must finish: it is acknowledged only once done (``acks_late``) and given back to the
broker when its worker process is killed (``reject_on_worker_lost``), so another worker takes
it up; :func:`app.services.billing.bill_chunk` makes a second delivery harmless. A chunk the
broker lost with its worker is not waited for: the run's lock goes silent and the sweep
(:mod:`.housekeeping`) marks the run failed within a minute."""
import traceback

from celery import group

from .celery_app import celery


@celery.task(name="oblik.billing.run", bind=True)
def billing_run(self, run_id: int, chunks):
    """Dispatch the run's chunks (the lock is already held by ``start_run``). ``chunks``: how
    many (a list of chunks from before the chunks were recorded counts as its length)."""
    from ..services.billing import fail_run, finish_run

    count = chunks if isinstance(chunks, int) else len(chunks)
    if not count:
        finish_run(run_id)
        return {"run": run_id, "chunks": 0}
    try:
        group(billing_chunk.s(run_id, seq) for seq in range(count)).apply_async()
    except Exception as error:  # the broker refused: give the lock back
        fail_run(run_id, str(error), traceback.format_exc())
        raise
    return {"run": run_id, "chunks": count}


@celery.task(name="oblik.billing.chunk", bind=True, acks_late=True, reject_on_worker_lost=True)
def billing_chunk(self, run_id: int, seq: int):
    from ..extensions import db
    from ..services.billing import bill_chunk

    try:
        return bill_chunk(run_id, seq)
    finally:
        db.session.remove()


def start_billing(period=None, building_code=None, user=None):
    """Take the lock and queue the run; returns the run (raises BillingError when refused)."""
    from ..extensions import db
    from ..services.billing import fail_run, start_run

    plan = start_run(period, building_code, user)
    try:
        result = billing_run.delay(plan.run.id, len(plan.chunks))
    except Exception as error:
        fail_run(plan.run.id, str(error), traceback.format_exc())
        raise
    from ..models import BillingRun

    db.session.expire_all()
    run = db.session.get(BillingRun, plan.run.id)
    if run.status == "running" and result.id:
        run.task_id = result.id
        db.session.commit()
    return run
