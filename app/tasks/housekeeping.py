"""Housekeeping: a heartbeat the UI and CI can use to prove the worker runs (daily), and the
sweep of background work whose process died (every ``SWEEP_SECONDS``)."""
from datetime import datetime, timezone

from .celery_app import celery


@celery.task(name="oblik.housekeeping", bind=True)
def housekeeping(self):
    """Report the database and time seen by the worker (proves broker + worker + DB)."""
    from ..extensions import db
    from ..models import Building
    from sqlalchemy import func, select

    return {
        "buildings": db.session.scalar(select(func.count()).select_from(Building)),
        "at": datetime.now(timezone.utc).isoformat(),
    }


@celery.task(name="oblik.sweep", bind=True, ignore_result=True)
def sweep(self):
    """Billing runs and imports whose heartbeat went silent (their process was killed): a run
    is marked failed and its lock dropped, so the next Run starts at once; a file being written
    is ready to write again (nothing of it was written); a file being checked is checked again."""
    from ..extensions import db
    from ..services.billing import sweep_orphans
    from ..services import reminders
    from ..services.imports import records
    from ..services.mail import outbox
    from ..services.invoices import builds
    from .imports import check_import

    try:
        runs = sweep_orphans()
        imports = records.sweep_orphans()
        invoice_builds = builds.sweep_orphans()
        from ..services.reports.runs import sweep_orphans as sweep_report_runs

        report_runs = sweep_report_runs()
        reminders.sweep_throttle()
        for record_id in imports.recheck:
            check_import.delay(record_id)
        mail = outbox.sweep()  # mailings whose sender died or that wait for a retry: resumed
    finally:
        db.session.remove()
    return {"runs": runs, "imports_ready": imports.ready, "imports_checked_again": imports.recheck,
            "imports_failed": imports.failed, "mail": mail, "invoice_builds": invoice_builds, "report_runs": report_runs}
