"""Browser-test fixtures: the app over the web-test database or the bundled sample, served by uvicorn on a free
127.0.0.1 port in a thread, and Debian's Chromium driven by Playwright; screenshots go to test-artifacts/."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/webdata.py

import webdata  # noqa: E402
from live_server import serving  # noqa: E402

from mieruka import storage  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The app over the web-test database (tests/webdata.py)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'browser.db'}"
    webdata.build(url)
    with serving(url) as base:
        yield base
    storage.dispose_engines()


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory):
    """The app over the bundled sample, rated under every scheme: what `make demo` serves."""
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'sample.db'}"
    demo_database(url)
    with serving(url) as base:
        yield base
    storage.dispose_engines()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is not at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records the URL of every request it makes (page.requested)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    pg = context.new_page()
    pg.requested = []
    pg.on("request", lambda request: pg.requested.append(request.url))
    yield pg
    context.close()


@pytest.fixture
def shoot():
    """shoot(page, "name") saves a full-page screenshot as test-artifacts/name.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(pg, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return save
