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


def start_report_run(kind: str, args: dict, building_ids=None, user: str | None = None):
    """The screen's «Побудувати»: the same report of the same user already queued or being built is
    shown, not started twice (unless no worker took it: then it is failed and a new one queued); else a run is recorded and queued. Returns the run (done already
    when the tasks run eagerly; failed when the broker refused)."""
    from ..extensions import db
    from ..models import ReportRun
    from ..services.reports.runs import find_run, start_run, unclaimed

    found = unclaimed(find_run(kind, args, building_ids, user))
    if found is not None and found.status in ("queued", "running"):
        return found
    run = start_run(kind, args, building_ids, user)
    run_id = run.id
    try:
        build_report_run.delay(run_id)
    except Exception as error:  # the broker refused: the run says so
        from flask_babel import gettext as _

        db.session.rollback()
        run = db.session.get(ReportRun, run_id)
        run.status, run.error = "failed", _("The report could not be queued: %(error)s", error=type(error).__name__)
        db.session.commit()
        return run
    db.session.expire_all()
    return db.session.get(ReportRun, run_id)
