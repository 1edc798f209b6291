"""Nothing is loaded from the internet: every page of the menu (as each role sees it) loads its
scripts and styles from this server only. Flask-AppBuilder's «User's Statistics» chart, which
loads Google Charts from a CDN and stays blank offline, is gone with its menu entry; the home
page's charts use the vendored Chart.js (app/static/vendor/)."""
import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from tests.conftest import ROLES

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


class _Assets(HTMLParser):
    """The script/style/iframe sources and the menu's links of a page."""

    def __init__(self):
        super().__init__()
        self.assets, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def _external(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.netloc) or url.startswith("//") or parsed.scheme not in ("", "data")


def _menu_pages(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    pages = set()
    for href in _parse(html).links:
        parsed = urlparse(href)
        if parsed.netloc or not href.startswith("/") or "logout" in href or "/lang/" in href:
            continue
        pages.add(href)
    return sorted(pages)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_the_menu_loads_anything_from_another_host(client_as, role):
    client = client_as(role)
    pages = _menu_pages(client)
    assert "/" in pages or len(pages) > 3, pages
    seen = 0
    for page in ["/", *pages]:
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        seen += 1
        html = response.get_data(as_text=True)
        external = [url for url in _parse(html).assets if _external(url)]
        assert not external, (page, external)
        assert "google.load" not in html and "jsapi" not in html, page
    assert seen >= (10 if role == "admin" else 3), (role, seen)


def test_the_user_statistics_chart_and_its_menu_entry_are_gone(client_as):
    client = client_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "userstatschartview" not in html.lower()
    assert "User's Statistics" not in html and "Статистика користувачів" not in html
    assert client.get("/userstatschartview/chart/").status_code == 404
    assert client.application.appbuilder.sm.userstatschartview is None


def test_the_chart_library_is_served_by_the_app_and_shipped_in_the_wheel(client_as):
    from tests.test_packaging import _packaged_files

    response = client_as("accountant").get("/static/vendor/chart.umd.min.js")
    assert response.status_code == 200 and b"Chart.js v4" in response.data[:200]
    assert response.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))
    shipped = _packaged_files()
    for name in ("static/vendor/chart.umd.min.js", "static/vendor/chart.js-LICENSE.md", "static/oblik-charts.js"):
        assert ROOT / "app" / name in shipped, name
    # the vendored file is the one the README names (npm's chart.js 4.6.1, unchanged)
    import hashlib

    digest = hashlib.sha256((ROOT / "app/static/vendor/chart.umd.min.js").read_bytes()).hexdigest()
    assert digest in (ROOT / "app/static/vendor/README.md").read_text()
    assert re.search(r"MIT License", (ROOT / "app/static/vendor/chart.js-LICENSE.md").read_text())
