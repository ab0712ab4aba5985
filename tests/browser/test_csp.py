"""The Content-Security-Policy in a real browser: every page, the KPI chart (Plotly) and the local-body maps work
with scripts from this server only, and the browser reports no violation of the policy."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["/", "/kpis", "/kpis/1", "/kpis/1?lang=en", "/items/1", "/measures", "/cases/1", "/documents/1",
         "/local", "/local/142158", "/savings", "/api"]


def test_no_page_breaks_the_policy_and_the_chart_still_draws(site, page):
    violations, errors = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # registered before any of the page's own scripts run, so a violation while loading is seen too
    page.add_init_script("""window.__csp = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));""")
    for path in PAGES:
        response = page.goto(site + path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if path.startswith("/kpis/1"):
            expect(page.locator("#chart .main-svg").first).to_be_visible()
            point = page.locator("#chart .scatterlayer .point").first
            point.scroll_into_view_if_needed()  # the KPI's facts above the chart can push it below the window
            box = point.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            expect(page.locator("#chart .hoverlayer .hovertext").first).to_be_visible()
        violations += [f"{path}: {v}" for v in page.evaluate("() => window.__csp")]
    assert violations == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    assert errors == []
