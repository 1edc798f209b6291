"""Imports of large files in the background: check (the preview) and write. Thin wrappers
around ``app.services.imports.records``; each is idempotent — a record whose status has
moved on is left alone, so a task delivered twice does nothing the second time."""
from .celery_app import celery


@celery.task(name="oblik.imports.check")
def check_import(record_id: int):
    from ..services.imports import records

    outcome = records.check_record(record_id, progress=True)
    return _summary(outcome)


@celery.task(name="oblik.imports.commit")
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
