"""The Celery application. Redis in production (``OBLIK_BROKER_URL``); with nothing
configured it uses kombu's SQLAlchemy transport on a SQLite file under ``instance/``, so a
laptop runs background jobs with no server installed. Tasks run inside the Flask app context.
"""
from pathlib import Path

from celery import Celery, Task
from flask import current_app, has_app_context

celery = Celery("oblik", include=["app.tasks.housekeeping", "app.tasks.billing", "app.tasks.imports",
                                  "app.tasks.mail", "app.tasks.reminders", "app.tasks.invoices", "app.tasks.reports"])


def init_celery(app):
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_always_eager=app.config.get("CELERY_TASK_ALWAYS_EAGER", False),
        task_eager_propagates=True,
        task_track_started=True,
        timezone="Europe/Kyiv",
        broker_connection_retry_on_startup=True,
        # beat's state in the instance directory, not in the working directory it starts in
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        beat_schedule={
            "housekeeping-daily": {"task": "oblik.housekeeping", "schedule": 24 * 3600},
            # reading reminders: checked hourly, sent from the day and hour of the settings
            "reading-reminders": {"task": "oblik.reminders.check", "schedule": 3600.0, "options": {"expires": 3000.0}},
            # runs and imports whose worker was killed: failed (or ready again) within a minute
            "sweep-orphans": {"task": "oblik.sweep", "schedule": float(app.config.get("SWEEP_SECONDS", 15)),
                              "options": {"expires": float(app.config.get("SWEEP_SECONDS", 15))}},
        },
        # a task that must finish (acks_late) waits in the broker, not in a worker's prefetch:
        # a killed worker takes no more than the task it was working on with it
        worker_prefetch_multiplier=1,
    )

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            # A task run eagerly (tests, OBLIK_CELERY_EAGER) runs in the app of its caller — a
            # process may hold several apps (tests make one per database) — in a context of
            # its own, so it has its own database session.
            target = current_app._get_current_object() if has_app_context() else app
            from ..services import audit

            with target.app_context(), audit.acting_in_task():
                return self.run(*args, **kwargs)

    celery.Task = AppContextTask
    app.extensions["celery"] = celery
    return celery
