"""Fixtures of the import tests: an app context on the session's test database."""
import pytest


@pytest.fixture()
def ctx(app):
    """The app context (the tests call the import service directly, as the command line does)."""
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()
