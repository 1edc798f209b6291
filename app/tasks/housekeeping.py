"""Daily housekeeping: a heartbeat the UI and CI can use to prove the worker runs."""
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
