"""Fixtures of the import tests: an app context on the session's test database."""
import pytest


@pytest.fixture()
def ctx(app):
    """The app context (the tests call the import service directly, as the command line does)."""
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture(autouse=True)
def fresh_celery_pools():
    """An eager ``task.delay()`` still takes a producer from Celery's pool, which then stays
    bound to the test broker (``memory://``); drop the pools so that a later test pointing
    Celery at a real broker (tests/test_celery_worker.py) gets connections to it."""
    yield
    from app.tasks.celery_app import celery

    if celery._pool is not None:
        celery._pool.force_close_all()
        celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
