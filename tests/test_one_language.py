"""One language per page: every page reachable from the overview, in Japanese and in English, and every GET form
submitted with bad inputs (letters for numbers and dates, 0 for amounts, names shared by several bodies, unknown
choices), holds no sentence of the other language outside data.

On a Japanese page no run of three English words stands outside data; on an English page no Japanese sentence does:
no run of Japanese holding hiragana (the particles and endings every Japanese sentence has; a kanji name such as
総務省 or 北海道 is a name, not a sentence) and no Japanese sentence of the message catalogue.

Data is what the documents and the user say, shown as they said it: names, figures and sentences read from the
documents (KPI, item, measure and case names, the rows a document prints, units, ministries, places), and the words
the user typed. The templates mark it: translate="no", lang="ja" on an English page, and <code>, <time>, <script>,
<style>, <svg> elements. A value marked as data somewhere on the page stays data where no markup can mark it (an
attribute, the <title>, a message that quotes it: 「Plans of 東京都府中市」). The terms the English messages quote
themselves (「(事後的に検証する指標)」 in the glossary) are terms, not sentences."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.storage import local_bodies as store
from mieruka.web import create_app

SURVEYS = Path(__file__).resolve().parent / "fixtures" / "surveys"
DATA_TAGS = {"script", "style", "code", "time", "kbd", "samp", "data", "svg", "textarea"}  # a textarea: a value
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
# Three or more Latin words in a row is an English phrase on a Japanese page (a file name or "CSV" is not).
ENGLISH = re.compile(r"\b[A-Za-z][a-z]+(?:,? [A-Za-z][a-z]+){2,}\b")
KANA = re.compile(r"[\u3041-\u30ff]")
NOT_PAGES = (".csv", ".xlsx", ".json", ".svg", ".docx", ".pdf", ".geojson", ".js", ".css", "/original")
MAX_PER_SHAPE = 2  # /kpis/1 and /kpis/2 are the same page with other data: two of each shape are enough
MAX_PAGES = 160


class _Text(HTMLParser):
    """The page's own words: text and labelling attributes outside data, with the path of tags they sit in."""

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack: list[bool] = []  # is this element (or one around it) data?
        self.words: list[str] = []
        self.data: set[str] = set()  # the text of elements marked as data
        self.links: list[str] = []
        self.forms: list[dict] = []

    def _data(self, tag: str, attrs: dict) -> bool:
        return (tag in DATA_TAGS or attrs.get("translate") == "no"
                or (attrs.get("lang") not in (None, self.lang)))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        inside = bool(self.stack and self.stack[-1])
        data = inside or self._data(tag, attrs)
        if not data:
            self.words += [attrs[a] for a in ATTRIBUTES if attrs.get(a)]
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].append((tag, attrs.get("type", "text"), attrs["name"], attrs.get("value", "")))
        if tag not in VOID:
            self.stack.append(data)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, text):
        if not text.strip():
            return
        if self.stack and self.stack[-1]:
            self.data.add(text.strip())
        else:
            self.words.append(text)


@lru_cache(maxsize=1)
def _japanese_sentences() -> list[str]:
    """The fixed parts (five characters or more, holding kana) of every Japanese message that English says otherwise."""
    from mieruka.web.i18n import messages

    out = set()
    for texts in messages().values():
        if texts.get("en") and texts["en"] != texts["ja"]:
            out.update(part.strip() for part in re.split(r"\{[^}]*\}", texts["ja"])
                       if len(part.strip()) >= 5 and KANA.search(part))
    # A term the English messages quote themselves (the glossary's "(事後的に検証する指標)") is a term, not a sentence.
    english = " ".join(texts.get("en", "") for texts in messages().values())
    return tuple(sorted(x for x in out if x not in english))


JAPANESE_RUN = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff01-\uff9f]{2,}")
HIRAGANA = re.compile(r"[\u3041-\u309f]")


@lru_cache(maxsize=1)
def _english_messages() -> str:
    from mieruka.web.i18n import messages

    return " ".join(texts.get("en", "") for texts in messages().values())


def foreign(html: str, lang: str, typed: tuple[str, ...] = ()) -> list[str]:
    """The other language's sentences on a page in `lang`; typed: what the user typed into the page's URL (data)."""
    page = _Text(lang)
    page.feed(html)
    text = " ".join(" ".join(page.words).split())
    if lang == "ja":
        return ENGLISH.findall(text)
    # data marked anywhere on the page is data everywhere on it, the longest first (a name inside a longer name); a
    # message of the catalogue inside data is data too (「国の施策一覧」 in the <title> 「市町村の施策に関する国の施策一覧」)
    for value in sorted(page.data | {t.strip() for t in typed}, key=len, reverse=True):
        if len(value) >= 2:
            text = text.replace(value, " ")
    catalogue = [s for s in _japanese_sentences() if s in text]
    quoted = _english_messages()
    return catalogue + [run for run in JAPANESE_RUN.findall(text) if HIRAGANA.search(run) and run not in quoted]


def _bad_submissions(form: dict, lang: str) -> list[dict]:
    """The form's query with every typed field wrong in turn: letters, zero, a name several bodies share."""
    out = []
    for bad in ("zzz", "0", "府中市", "-1"):
        query = {}
        for tag, kind, name, value in form["fields"]:
            if kind in ("hidden",):
                query[name] = value
            elif tag == "select" or kind in ("radio", "checkbox"):
                query[name] = "zzz" if bad == "zzz" else value
            elif kind not in ("submit", "button", "password"):
                query[name] = bad
        query["lang"] = lang
        out.append(query)
    return out


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """What `make demo` serves, plus a survey so the local pages show maps."""
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('lang') / 'lang.db'}"
    demo_database(url)
    with storage.session_scope(url) as s:
        store.link_cases(s)
        import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv")
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "madoguchi.csv", "窓口委託", date(2017, 4, 1))
    with TestClient(create_app(url), base_url="http://127.0.0.1") as c:
        yield c
    storage.dispose_engines()


def crawl(client, lang: str) -> tuple[dict, set, Counter]:
    """({url: the other language's sentences}, the URLs visited, their statuses) of a crawl from the overview."""
    start = ["/", "/savings?before=100&after=50&years=0", "/local?q=府中市", "/local?q=999999", "/local?q=ふちゅう",
             "/kpis/999999", "/kpis?as_of=someday", "/local/000000", "/nowhere", "/api"]
    queue = [f"{p}{'&' if '?' in p else '?'}lang={lang}" if lang == "en" else p for p in start]
    seen, shapes, found, statuses = set(), Counter(), {}, Counter()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        key = parts.path + "?" + parts.query
        if key in seen:
            continue
        seen.add(key)
        r = client.get(url)
        statuses[r.status_code] += 1
        assert r.status_code < 500, url
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        page = _Text(lang)
        page.feed(r.text)
        wrong = foreign(r.text, lang, tuple(v for _, v in parse_qsl(parts.query)))
        if wrong:
            found[url] = wrong[:40]
        for href in page.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc not in ("", "127.0.0.1") or target.path.endswith(NOT_PAGES) or \
                    target.path.startswith(("/static", "/vendor", "/api/")):
                continue
            query = dict(parse_qsl(target.query))
            if query.get("lang", "ja") != lang:
                continue  # the language switch: the other language is crawled on its own
            shape = _shape(target.path) + "?" + "&".join(sorted(query))
            if shapes[shape] < MAX_PER_SHAPE:
                shapes[shape] += 1
                queue.append(target.path + ("?" + target.query if target.query else ""))
        for form in page.forms:
            if form["method"] != "get":
                continue
            action = urlsplit(urljoin(url, form["action"] or parts.path)).path
            shape = "form " + _shape(action)
            if shapes[shape] >= MAX_PER_SHAPE:
                continue
            shapes[shape] += 1
            queue += [action + "?" + urlencode(q) for q in _bad_submissions(form, lang)]
    return found, seen, statuses


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_holds_one_language_outside_data(client, lang):
    found, seen, statuses = crawl(client, lang)
    assert found == {}
    assert len(seen) > 60 and statuses[422] > 5 and statuses[404] >= 2  # the crawl reached pages and refusals


def test_the_api_page_describes_every_endpoint_in_both_languages(client):
    from mieruka.web.i18n import messages

    operations = {f"{method.upper()} {path}" for path, ops in client.get("/api/openapi.json").json()["paths"].items()
                  for method in ops}
    assert len(operations) >= 13
    assert sorted(op for op in operations if set(messages().get(f"api_op.{op}", {})) != {"ja", "en"}) == []
    ja = client.get("/api").text
    assert "<td>KPIの一覧: 各KPIの基準値・最新の実績・目標・評価</td>" in ja and 'lang="en"' not in ja.split("<main")[1]
    assert "<td>KPIs: baseline, latest actual, target and rating of each</td>" in client.get("/api?lang=en").text


def test_the_local_search_answers_in_the_pages_language(client):
    ja = client.get("/local", params={"q": "府中市"}).text
    assert "「府中市」という名前の団体は2つあります。都道府県名を付けるか、次の候補から選んでください。" in ja
    en = client.get("/local", params={"q": "府中市", "lang": "en"}).text
    assert "2 local bodies are called 府中市: add the prefecture, or choose one below." in en
    assert "団体コード 999999 の団体はありません。" in client.get("/local", params={"q": "999999"}).text
    assert "「ふちゅう」に当たる団体が見つかりません。" in client.get("/local", params={"q": "ふちゅう"}).text
    missing = client.get("/local/kpi/999999", params={"lang": "en"})
    assert missing.status_code == 404 and "KPI 999999 is not counted from surveys." in missing.text


def test_an_http_error_in_the_other_language_gives_the_pages_own_message():
    from mieruka.web.guards import page_detail

    assert page_detail("この操作の権限がありません / You are not allowed to do this", 403, "en") == \
        "You are not allowed to do this"
    assert page_detail("この操作の権限がありません / You are not allowed to do this", 403, "ja") == "この操作の権限がありません"
    assert page_detail("report 7 not found", 404, "ja") == "お探しのページまたはデータは見つかりません。"
    assert page_detail("report 7 not found", 404, "en") == "report 7 not found"
    assert page_detail("フォームの確認用トークンが正しくありません。", 403, "en") == "You are not allowed to do this."


JAPANESE_PUNCTUATION = re.compile(r"[、「」：（）\u3000]")
WAREKI = re.compile(r"（(?:明治|大正|昭和|平成|令和)[^）]*）")  # the 和暦 beside a date is written so on both pages


def japanese_punctuation(html: str) -> list[str]:
    """The page's own words around any 、「」：（）／ or ideographic space outside data and the 和暦 beside a date."""
    page = _Text("en")
    page.feed(html)
    text = WAREKI.sub("", " ".join(" ".join(page.words).split()))
    for value in sorted(page.data, key=len, reverse=True):  # a name marked as data anywhere is data everywhere
        text = text.replace(value, " ")
    return [m.group() for m in re.finditer(r".{0,30}[、「」：（）／\u3000].{0,30}", text)]


def test_an_english_page_joins_quotes_and_brackets_in_english(client):
    """Japanese punctuation is the Japanese page's: on an English page the words between data (a measure's ministries,
    a case's bodies, a KPI's children, a document's counts, the quoted cycle text, the stored dates' kinds) are
    joined with ", ", quoted with “ ” and bracketed with ( ), not 、「」（） (the 和暦 beside a date aside)."""
    pages = ["/measures/75", "/cases/2", "/kpis/8", "/kpis/3", "/kpis", "/documents", "/search"]
    found = {}
    for path in pages:
        r = client.get(path, params={"lang": "en"})
        assert r.status_code == 200, path
        wrong = japanese_punctuation(r.text)
        if wrong:
            found[path] = wrong
    assert found == {}
    kpis = client.get("/kpis", params={"lang": "en"}).text
    assert re.search(r'<option value="2019-03-31"[^>]*>2019-03-31（平成31年3月31日） \(ratings[^<）]*\)</option>', kpis)
    assert "（ratings" not in kpis and "as the document says: “<span lang=\"ja\"" in client.get("/kpis/8", params={"lang": "en"}).text
    table = client.get("/documents/2/kpi-table.html", params={"lang": "en"}).text
    assert 'Key issue: <span lang="ja">地方交付税をはじめとした地方の財政に係る制度の改革</span>' in table and "Key issue：" not in table
    sheet = client.get("/kpis/3/sheet.html", params={"lang": "en"}).text
    assert re.search(r"\); Made by: mieruka", sheet) and "\u3000Made by" not in sheet
    ja = client.get("/kpis/3/sheet.html").text
    assert "\u3000作成: mieruka" in ja
