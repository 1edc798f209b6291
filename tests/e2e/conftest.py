"""Browser fixtures: the app served on a loopback port. Chromium itself (``browser``,
``page``, ``sign_in``) is set up in tests/conftest.py: one Playwright for the whole session,
shared with the billing browser test."""
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app, sign_in  # noqa: F401 (sign_in: used by the tests here)


@pytest.fixture(scope="session")
def live_server(app):
    """The same database as the HTTP tests, served with CSRF on, as in production."""
    application = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
