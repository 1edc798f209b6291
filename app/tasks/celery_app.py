"""The Celery application. Redis in production (``OBLIK_BROKER_URL``); with nothing
configured it uses kombu's SQLAlchemy transport on a SQLite file under ``instance/``, so a
laptop runs background jobs with no server installed. Tasks run inside the Flask app context.
"""
from celery import Celery, Task

celery = Celery("oblik", include=["app.tasks.housekeeping", "app.tasks.billing"])


def init_celery(app):
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_always_eager=app.config.get("CELERY_TASK_ALWAYS_EAGER", False),
        task_eager_propagates=True,
        task_track_started=True,
        timezone="Europe/Kyiv",
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "housekeeping-daily": {"task": "oblik.housekeeping", "schedule": 24 * 3600},
        },
    )

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = AppContextTask
    app.extensions["celery"] = celery
    return celery
