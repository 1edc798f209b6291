"""Документи, що коригують нарахування (issue 10): what every kind of document shares."""
from flask_appbuilder import Model
from sqlalchemy import Column, Integer, String

__all__ = ["DocumentCounter"]


class DocumentCounter(Model):
    """The last number given to a document of ``kind`` in ``year`` (numbers restart each year)."""

    __tablename__ = "document_counter"
    kind = Column(String(30), primary_key=True)
    year = Column(Integer, primary_key=True, autoincrement=False)
    last = Column(Integer, nullable=False, default=0)
