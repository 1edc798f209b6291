"""A report built in the background (issue 11): the screen queues it, a Celery task builds it
into a file under the instance directory, the screen pages the stored file."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text, func

from .types import enum_check

REPORT_RUN_STATUSES = ("queued", "running", "done", "failed")


class ReportRun(Model):
    __tablename__ = "report_run"
    __table_args__ = (enum_check("status", REPORT_RUN_STATUSES, "ck_report_run_status"),
                      Index("ix_report_run_status", "status"))
    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    filters = Column(Text, nullable=False, default="{}")      # JSON: the screen's filter texts
    scope = Column(Text)                                       # JSON: the inspector's buildings (None: all)
    username = Column(String(64))
    status = Column(String(10), nullable=False, default="queued")
    progress = Column(Integer, nullable=False, default=0)      # percent
    rows = Column(Integer)
    created_at = Column(DateTime, nullable=False, server_default=func.now())
    started_at = Column(DateTime)
    finished_at = Column(DateTime)
    heartbeat_at = Column(DateTime)
    file_path = Column(String(500))
    error = Column(Text)


__all__ = ["ReportRun", "REPORT_RUN_STATUSES"]
