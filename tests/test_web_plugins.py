"""How other areas plug pages in (mieruka.web.routers.PLUGINS) and the message catalogue they share:
a plug-in module's router, nav link, templates and messages all reach the app."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.web import create_app, i18n, pages, routers

TEMPLATES = Path(pages.TEMPLATES_DIR)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A package "webplug" in the layout a plug-in area uses: a router module with NAV, TEMPLATES and MESSAGES."""
    pkg = tmp_path / "webplug"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "messages.toml").write_text('[bodies]\ntitle = { ja = "自治体", en = "Local bodies" }\n', encoding="utf-8")
    (pkg / "templates" / "bodies.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ t("bodies.title") }}</h1>{% endblock %}', encoding="utf-8")
    (pkg / "web.py").write_text(textwrap.dedent('''
        from pathlib import Path
        from fastapi import APIRouter, Request
        from mieruka.web.pages import Lang, render
        from mieruka.web.routers import NavLink

        router = APIRouter(include_in_schema=False)
        NAV = [NavLink("/bodies", {"ja": "自治体", "en": "Local bodies"}, 55)]
        TEMPLATES = Path(__file__).with_name("templates")
        MESSAGES = Path(__file__).with_name("messages.toml")

        @router.get("/bodies")
        def bodies(request: Request, lang: Lang):
            return render(request, "bodies.html", {})
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(routers, "PLUGINS", ("webplug.web", "not_installed_area.web"))
    monkeypatch.setattr(pages.templates.env, "loader", pages.templates.env.loader)
    monkeypatch.setattr(i18n, "_extra", [])
    yield
    i18n.messages.cache_clear()


def test_a_plugin_adds_its_page_nav_link_templates_and_messages(plugin, tmp_path):
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'plug.db'}"))
    r = client.get("/bodies?lang=en")
    assert r.status_code == 200
    assert "<h1>Local bodies</h1>" in r.text
    nav = re.search(r'<nav aria-label="Main menu">(.*?)</nav>', r.text, re.S).group(1)
    labels = re.findall(r'<a href="[^"]*"[^>]*>([^<]*)</a>', nav)
    assert labels == ["Overview", "KPIs", "Reform items", "National measures", "Advanced cases", "Local bodies",
                      "Documents", "API"]
    assert 'href="/bodies?lang=en" aria-current="page"' in nav
    storage.dispose_engines()


def test_every_message_has_japanese_and_english():
    missing = [key for key, texts in i18n.messages().items() if not texts.get("ja") or not texts.get("en")]
    assert missing == []


def test_every_message_key_the_templates_name_exists():
    for module in routers.router_modules():  # the catalogues the app adds when it is built, whatever ran before
        if hasattr(module, "MESSAGES"):
            i18n.add_catalogue(module.MESSAGES)
    named, prefixes = set(), set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']\s*[,)]""", text))
        # a key joined at render time (t("search.kind_" ~ kind)): some key must start with the written part
        prefixes |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]*)["']\s*~""", text))
    assert named - set(i18n.messages()) == set()
    assert {p for p in prefixes if not any(k.startswith(p) for k in i18n.messages())} == set()
    assert len(named) > 150
