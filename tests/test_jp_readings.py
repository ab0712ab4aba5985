"""Readings of names in katakana (jp.readings), what lets kana find kanji names in search."""
from __future__ import annotations

from mieruka.jp.readings import MAX_READING_INPUT, reading, to_katakana


def test_hiragana_becomes_katakana():
    assert to_katakana("えびなし まどぐち ゝ") == "エビナシ マドグチ ヽ"
    assert to_katakana("窓口ABC") == "窓口ABC"


def test_readings_of_names_and_words():
    assert reading("海老名市") == "エビナシ"
    assert reading("窓口業務のアウトソーシング") == "マドグチギョウムノアウトソーシング"
    assert reading("ひらがな") == "ヒラガナ"
    assert reading("2020年度 電子") == "2020ネンド デンシ"  # digits and spaces as written


def test_text_without_japanese_has_no_reading():
    assert reading("") == "" and reading(None) == "" and reading("ABC 123") == ""


def test_long_text_is_read_up_to_the_bound():
    assert len(reading("窓口" * MAX_READING_INPUT)) == 4 * (MAX_READING_INPUT // 2)
