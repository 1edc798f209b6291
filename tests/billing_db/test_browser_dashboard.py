"""The home page in a real headless Chromium: an accountant opens the dashboard of the billing town
with two closed months (tests/billing_db/test_dashboard.py); no console error, the chart of charged
and collected is drawn by the vendored Chart.js (a Chart instance on the canvas, and pixels on
it), the figures link to their reports — and a screenshot for docs/dashboard.png. An inspector's
home page has no chart and no money."""
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, sign_in

from .test_browser_month import billing_server  # noqa: F401 (the fixture)
from .test_dashboard import two_closed_months

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def _watch(page, base):
    """Console errors, page errors and requests to any other host, as they happen."""
    problems = []
    # the browser's own favicon request (no page asks for it) is the one 404 let through, as in
    # tests/e2e/test_sessions_csp.py
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"external request: {r.url}")
            if not r.url.startswith((base, "data:", "about:")) else None)
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    return problems


def test_the_accountant_sees_the_dashboard_with_its_chart_drawn(bdb, billing_server, browser):
    two_closed_months()
    base = billing_server
    context = browser.new_context(locale="uk-UA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = _watch(page, base)
    sign_in(page, base, "accountant", PASSWORD)
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#chart-flows[data-drawn='1']")
    assert page.evaluate("Chart.getChart(document.getElementById('chart-flows')) != null")
    assert page.evaluate("Chart.getChart(document.getElementById('chart-flows')).data.datasets.length") == 2
    assert page.evaluate("Chart.getChart(document.getElementById('chart-flows')).data.datasets[0].data[9]") == 31765.0
    coloured = page.evaluate("""() => {
        const c = document.getElementById('chart-flows');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
        return n;
    }""")
    assert coloured > 2000, coloured  # bars, axes and labels, not a blank canvas
    assert page.locator("#debt-total").inner_text() == "39 811,38"
    assert page.locator("#rate-last").inner_text() == "73,8 %"
    assert page.locator("#dash-debt a").first.get_attribute("href").startswith("/reports/debtors/")
    assert page.locator("#dash-period a").first.get_attribute("href") == "/billing/"
    assert "Нараховано і сплачено за місяцями" in page.locator("#dash-flows").inner_text()
    # the imbalance trend (the losses report's imbalance_trend): October's E1 11,11 %, the other months gaps
    page.wait_for_selector("#chart-imbalance[data-drawn='1']")
    assert page.evaluate("Chart.getChart(document.getElementById('chart-imbalance')).data.datasets[0].data[9]") == 11.11
    assert page.evaluate("Chart.getChart(document.getElementById('chart-imbalance')).data.datasets[0].data[10]") is None
    page.screenshot(path=str(DOCS / "dashboard.png"), full_page=True)
    assert problems == []
    context.close()


def test_the_inspectors_home_page_has_no_chart_and_no_money(bdb, billing_server, page):
    two_closed_months()
    base = billing_server
    problems = _watch(page, base)
    sign_in(page, base, "inspector", PASSWORD)
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#dash-readings").is_visible()
    assert page.locator("canvas.oblik-chart").count() == 0
    assert page.locator("#dash-debt, #dash-flows, #dash-rate, #dash-aging, #dash-period").count() == 0
    assert "39 811,38" not in page.content()
    assert problems == []
