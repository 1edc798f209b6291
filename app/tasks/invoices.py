"""Building invoices in the background (the «Рахунки на оплату» screen): the build's buildings
run as Celery tasks, one per building, in parallel on as many workers as there are. Thin
wrappers around :mod:`app.services.invoices.builds`.

A chunk must finish: acknowledged only once done (``acks_late``) and given back to the broker
when its worker process is killed (``reject_on_worker_lost``); :func:`~app.services.invoices.
builds.build_chunk` makes a second delivery harmless. A chunk the broker lost with its worker
is not waited for: the build goes silent, the sweep (:mod:`.housekeeping`) fails it, and the
next start builds what is left."""
import traceback

from celery import group

from .celery_app import celery


@celery.task(name="oblik.invoices.build", bind=True)
def invoice_build(self, build_id: int):
    """Queue a task per unfinished building of the build."""
    from ..extensions import db
    from ..services.invoices.builds import fail_build, finish_build, pending

    try:
        todo = pending(build_id)
        if not todo:
            finish_build(build_id)
            return {"build": build_id, "chunks": 0}
        try:
            group(invoice_chunk.s(build_id, building_id) for building_id in todo).apply_async()
        except Exception as error:  # the broker refused
            fail_build(build_id, str(error), traceback.format_exc())
            raise
        return {"build": build_id, "chunks": len(todo)}
    finally:
        db.session.remove()


@celery.task(name="oblik.invoices.chunk", bind=True, acks_late=True, reject_on_worker_lost=True)
def invoice_chunk(self, build_id: int, building_id: int):
    from ..extensions import db
    from ..services.invoices.builds import build_chunk

    try:
        return build_chunk(build_id, building_id)
    finally:
        db.session.remove()


def start_invoice_build(period, user=None, account_number=None, building_code=None):
    """Record (or resume) the build and queue it; returns the build (raises BuildError when refused)."""
    from ..extensions import db
    from ..models import InvoiceBuild
    from ..services.invoices.builds import fail_build, start_build

    build = start_build(period, account_number=account_number, building_code=building_code, user=user)
    build_id = build.id
    if build.status != "running":
        return build
    try:
        result = invoice_build.delay(build_id)
    except Exception as error:
        fail_build(build_id, str(error), traceback.format_exc())
        raise
    db.session.expire_all()
    build = db.session.get(InvoiceBuild, build_id)
    if build.status == "running" and result.id:
        build.task_id = result.id
        db.session.commit()
    return build
