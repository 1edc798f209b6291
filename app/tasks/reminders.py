"""Reading reminders (issue 9 §4): beat runs ``oblik.reminders.check`` every hour; from day
``reminders.day`` of the month at hour ``reminders.hour`` (Kyiv) it queues a reminder for each
account still due (the outbox keeps one per account and month, so every later hour adds only
accounts that became due since) and starts the sending. Run twice, it queues nothing twice."""
from ..services import reminders as _reminders  # noqa: F401  (registers the composer of «reminder»)
from .celery_app import celery


@celery.task(name="oblik.reminders.check", bind=True, acks_late=True, reject_on_worker_lost=True)
def check_reminders(self, period: str | None = None, force: bool = False):
    from ..extensions import db
    from ..services import reminders

    try:
        if not force and not reminders.is_time(db.session):
            return {"sent": False}
        result = reminders.send(db.session, period)
        return {"period": result.period, "due": result.due, "queued": result.queued}
    finally:
        db.session.remove()
