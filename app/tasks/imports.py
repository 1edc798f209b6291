"""Imports of large files in the background: check (the preview) and write. Thin wrappers
around ``app.services.imports.records``; each is idempotent — a record whose status has
moved on is left alone, so a task delivered twice does nothing the second time. Both must
finish: acknowledged once done (``acks_late``), given back to the broker when the worker
process is killed (``reject_on_worker_lost``); a record whose worker died with the message is
swept (``app.tasks.housekeeping.sweep``)."""
from .celery_app import celery


@celery.task(name="oblik.imports.check", acks_late=True, reject_on_worker_lost=True)
def check_import(record_id: int):
    from ..services.imports import records

    outcome = records.check_record(record_id, progress=True)
    return _summary(outcome)


@celery.task(name="oblik.imports.commit", acks_late=True, reject_on_worker_lost=True)
def commit_import(record_id: int):
    from ..services.imports import records

    outcome = records.commit_record(record_id, progress=True)
    return _summary(outcome)


def _summary(outcome):
    if outcome is None:
        return None
    if hasattr(outcome, "rejected"):
        return {"total": outcome.total, "created": outcome.created, "updated": outcome.updated,
                "unchanged": outcome.unchanged, "rejected": outcome.rejected, "written": outcome.written}
    return {"refused": str(outcome)}
