"""The glossary (issue 12, item 5): the documents' words and every scheme's codes, in each language, linked from the
KPI page and every footer; each code shows its colour's meaning in words beside the code."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.web import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('glossary') / 'web.db'}"
    webdata.build(url)
    storage.dispose_engines()
    return TestClient(create_app(url))


def test_the_glossary_explains_the_documents_words(client):
    page = client.get("/glossary").text
    for term in ("第一階層・第二階層（KPIの階層）", "A・B・N・F（改革工程表の評価）", "イ・ロ・ハ・ー（政策評価の判定）",
                 "速報値・確報値・見込み", "再掲"):
        assert term in page
    assert '<dt id="tier">' in page and '<dt id="status">' in page
    english = client.get("/glossary?lang=en").text
    assert "First tier / second tier (KPI tiers)" in english and "第一階層は" not in english


def test_each_scheme_lists_its_codes_with_a_colour_named_in_words(client):
    page = client.get("/glossary").text
    assert ('<span class="rating tone-on_track" data-code="A" title="順調"><span class="mark" aria-hidden="true"></span>'
            '<span class="code">A</span> <span class="label">') in page
    assert "<td>順調</td>" in page and "<td>判断なし</td>" in page
    english = client.get("/glossary?lang=en").text
    assert "<td>on track</td>" in english and "<td>not judged</td>" in english
    # the ESCAP method's codes are words of mieruka's: shown by their label in the page's language, never as the word
    assert '<span class="rating tone-on_track" data-code="substantial" title="順調"><span class="mark" aria-hidden="true">' \
           '</span><span class="label">大きく進展（必要な成長率の95%以上）</span></span>' in page
    assert ">substantial<" not in page and ">substantial progress (95 % or more of the required growth)<" in english


def test_the_kpi_page_and_every_footer_link_the_glossary(client):
    kpi = client.get("/kpis/1").text
    assert '<a href="/glossary#tier">階層</a>' in kpi
    assert 'href="/glossary#status"' in kpi and 'href="/glossary#schemes"' in kpi
    assert '<a href="/glossary?lang=en">Glossary</a>' in client.get("/?lang=en").text


def test_the_terms_link_the_glossary_wherever_they_appear(client):
    kpis = client.get("/kpis").text
    assert '<td class="nw"><a class="term" href="/glossary#tier">第一階層</a></td>' in kpis
    assert '(<a class="term" href="/glossary#status">速報値</a>)' in kpis
    terms = kpis.split('<p class="terms muted">')[1].split("</p>")[0]
    for fragment in ("tier", "status", "reprint", "ratings_schedule", "scheme-reform-schedule", "colours"):
        assert f'href="/glossary#{fragment}"' in terms, fragment
    assert 'href="/glossary?lang=en#scheme-reform-schedule">Reform schedule KPI status (A/B/N/F)</a>' in \
        client.get("/kpis?lang=en").text
    overview = client.get("/").text.split('<p class="terms muted">')[1].split("</p>")[0]
    assert 'href="/glossary#ratings_schedule"' in overview and 'href="/glossary#scheme-reform-schedule"' in overview
    policy = client.get("/?scheme=policy-evaluation").text.split('<p class="terms muted">')[1].split("</p>")[0]
    assert 'href="/glossary#ratings_policy"' in policy and "ratings_schedule" not in policy
    assert '<a class="term" href="/glossary#tier">第一階層</a>' in client.get("/items/1").text
    document = client.get("/documents/1").text  # the reform schedule's document
    assert all(f'href="/glossary#{f}"' in document for f in ("tier", "ratings_schedule", "status", "reprint"))
    kpi = client.get("/kpis/1").text
    assert '<a href="/glossary#scheme-reform-schedule">改革工程表のKPI区分（A/B/N/F）</a></h3>' in kpi
