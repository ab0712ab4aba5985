"""Readers the publish tests use to get the rows back out of each output: HTML table cells, XLSX cells, PDF tables."""
from __future__ import annotations

import io
import logging
import re
import unicodedata
from html.parser import HTMLParser

import openpyxl

ARTIFACTS_DIR = "publish"


def norm(text) -> str:
    """NFKC (a PDF's ToUnicode maps some kanji to Kangxi radicals, ⽬ for 目, which NFKC folds back; and ・ to the
    hyphenation point ‧, which it does not) and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")).replace("\u2027", "・"))


class _Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = {"attrs": dict(attrs), "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row["cells"].append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(html: str) -> list[dict]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def xlsx_rows(content: bytes) -> tuple[list[list], openpyxl.worksheet.worksheet.Worksheet]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.active
    return [list(r) for r in ws.iter_rows(values_only=True)], ws


def pdf_tables(content: bytes) -> list[list]:
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return [row for page in pdf.pages for table in page.extract_tables() for row in table]


def pdf_text(content: bytes) -> str:
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)
