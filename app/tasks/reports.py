"""Reports built in the background (the «Звіти» screen): a thin wrapper around
:func:`app.services.reports.runs.execute`. A second delivery finds the run no longer queued and
does nothing; a run whose worker was killed is swept (:mod:`.housekeeping`)."""
from .celery_app import celery


@celery.task(name="oblik.reports.build", bind=True, acks_late=True, reject_on_worker_lost=True)
def build_report_run(self, run_id: int):
    from ..extensions import db
    from ..services.reports.runs import execute

    try:
        return {"run": run_id, "status": execute(run_id)}
    finally:
        db.session.remove()
