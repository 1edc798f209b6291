"""E-mail in the background: one task sends the due messages of a kind and period (the
outbox's single sender, :func:`app.services.mail.outbox.send_pending`). Thin wrappers.

``acks_late`` and ``reject_on_worker_lost``: a task whose worker died is given back to the
broker and taken up again; a second delivery is harmless — the lock refuses a second sender,
and the database, not the broker, says what was sent. A task the broker lost is not needed:
the beat sweep starts a sender wherever messages are due and nobody sends them."""
from .celery_app import celery


@celery.task(name="oblik.mail.send", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_mail(self, kind: str, period: str):
    from ..extensions import db
    from ..services.mail.outbox import send_pending

    try:
        return send_pending(kind, period).as_dict()
    finally:
        db.session.remove()
