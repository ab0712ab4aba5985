"""Tests for the HTML cell helper: plain text lines, decoded entities and URLs from table cells.
Cells are small strings written here in the shapes the seed documents use."""
from __future__ import annotations

from mieruka.ingest.html_cells import cell_lines, cell_text, cell_urls, text_urls


def test_list_items_become_lines_and_attributes_are_dropped():
    cell = '<ul style="list-style-type: none"> <li>手続を減らす。</li> <li>負担を軽くする。</li> </ul>'
    assert cell_lines(cell) == ["手続を減らす。", "負担を軽くする。"]
    assert cell_text(cell) == "手続を減らす。\n負担を軽くする。"


def test_paragraphs_and_breaks_split_lines_and_whitespace_collapses():
    cell = "<p>総務省   ICT利活用の促進</p> <p>一行目<br>二行目<br/>三行目</p>"
    assert cell_lines(cell) == ["総務省 ICT利活用の促進", "一行目", "二行目", "三行目"]


def test_entities_are_decoded():
    cell = "<ul><li>&lt;オンライン・ワンストップ化&gt; 改修</li><li>A&amp;B&#x3042;</li></ul>"
    assert cell_lines(cell) == ["<オンライン・ワンストップ化> 改修", "A&Bあ"]


def test_bracketed_labels_outside_html_stay_text():
    assert cell_lines("<予算事業名> 地域オープンデータ推進事業") == ["<予算事業名> 地域オープンデータ推進事業"]
    assert cell_lines("<予算事業名[補助金名]> 事業A[補助金B]") == ["<予算事業名[補助金名]> 事業A[補助金B]"]
    assert cell_lines("オープン&フリー化 1 < 2") == ["オープン&フリー化 1 < 2"]
    assert cell_lines("a <X1> b") == ["a <X1> b"]


def test_empty_cells_give_nothing():
    assert cell_lines("") == []
    assert cell_lines(None) == []
    assert cell_lines("<ul> <li> </li> </ul>") == []
    assert cell_text("") == ""
    assert cell_urls(None) == []


def test_urls_from_href_and_text_deduplicated_in_order():
    cell = (
        '(手引) <a href="https://cio.go.jp/a.docx">https://cio.go.jp/a.docx</a> '
        '(一覧) <a href="https://cio.go.jp/a.docx">https://cio.go.jp/a.docx</a> '
        "(ポータル) http://www.soumu.go.jp/denshijiti/index.html"
    )
    assert cell_urls(cell) == ["https://cio.go.jp/a.docx", "http://www.soumu.go.jp/denshijiti/index.html"]


def test_url_entities_are_decoded():
    cell = "<p>(案内) https://cas.example.go.jp/View?id=1&amp;p1=%E4%BB%8B&amp;pn=1</p>"
    assert cell_urls(cell) == ["https://cas.example.go.jp/View?id=1&p1=%E4%BB%8B&pn=1"]


def test_relative_links_are_not_urls():
    assert cell_urls('<a href="/local/page.html">案内</a>') == []


def test_wrapped_urls_are_joined_back():
    text = "(案内) http://www.soumu.go.jp/menu_seisaku /ictseisaku/hosonet_k yojinka02.html (次) https://a.jp/x"
    assert text_urls(text) == [
        "http://www.soumu.go.jp/menu_seisaku/ictseisaku/hosonet_kyojinka02.html",
        "https://a.jp/x",
    ]


def test_url_ends_at_prose():
    assert text_urls("http://a.jp/x。次へ http://b.jp/y and more") == ["http://a.jp/x", "http://b.jp/y"]
    assert text_urls("http://a.jp/x/ '(続き) http://b.jp/") == ["http://a.jp/x/", "http://b.jp/"]
    assert text_urls("URLなし") == []
