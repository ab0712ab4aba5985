"""What the crawl of `publish.site` does to a page once it has the application's answer — links made relative, the
fingerprint, the generated-at line, the KPIs it depends on, the file written — done where the page was rendered (a
worker process of web.static_pages.KpiPages), so that the crawl's own process is left only the bookkeeping: with
10,000 KPIs that work on 70,000 files was as much CPU as rendering them, all of it on one core."""
from __future__ import annotations

import html as html_lib
import os
import posixpath
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from mieruka.publish.site import (UNPUBLISHED, _LINK, _Dependencies, _fingerprint, _hashed, _page_fingerprint,
                                  _relative, _stamp, _where)


@dataclass
class Finished:
    """A page written (or found unchanged) by a worker: what the crawl records of it."""
    links: list[str]  # every link into the site, in the order the page holds them (the crawl follows them)
    needs: list[int] | None  # the KPIs it depends on (None: all), when the run keeps keys
    fingerprint: str
    written: bool
    html: bool
    body: bytes | None = None  # an API answer's body: the crawl queues its further pages from it


@dataclass
class Finisher:
    """How one batch's pages are finished: the run's options, the batch's file names and what the previous run left
    of them (name → fingerprint, only for files still there)."""
    out: Path
    at: datetime
    exclude: tuple[str, ...]
    pdf: bool
    keys: bool  # whether the run records each page's dependencies
    names: dict[tuple[str, tuple], str]
    previous: dict[str, str] = field(default_factory=dict)
    made: set = field(default_factory=set)  # folders made or found (one mkdir a folder, not a file)

    def finish(self, k: tuple[str, tuple], answer, asset: Callable[[str], str | None]) -> Finished | None:
        """The answer to k finished and written; None to leave it to the crawl (an error, or an asset that could not be
        named). asset(path) gives an asset's hashed file name, as the crawl names it."""
        path, _query = k
        if answer.status_code != 200:
            return None
        name = self.names[k]
        ctype = answer.headers.get("content-type", "")
        needs = _Dependencies.of(path, answer.content) if self.keys else None
        links: list[str] = []
        if ctype.startswith("text/html"):
            page = self._rewrite(answer.content.decode("utf-8"), name, links, asset)
            if page is None:
                return None
            fingerprint = (_page_fingerprint(page) if name.endswith(".html")
                           else _fingerprint(name, page.encode("utf-8")))
            written = self._write(name, None if self._unchanged(name, fingerprint) else
                                  _stamp(page, self.at).encode("utf-8"))
            return Finished(links, needs, fingerprint, written, True)
        fingerprint = _fingerprint(name, answer.content)
        written = self._write(name, None if self._unchanged(name, fingerprint) else answer.content)
        body = answer.content if path.startswith("/api/") and ctype.startswith("application/json") else None
        return Finished(links, needs, fingerprint, written, False, body)

    def _rewrite(self, page: str, here: str, links: list[str], asset) -> str | None:
        """publish.site's rewrite, the links' files named as the crawl names them (site._where)."""
        where = posixpath.dirname(here) if "/" in here else ""
        folder = where.split("/") if where else []
        failed = []
        done, placed_at = _rewritten(self.exclude, self.pdf)

        def sub(m) -> str:
            # the same attribute in the same folder is rewritten the same way (pages of a kind share most links)
            kept = done.get((m.group(0), where))
            if kept is not None:
                if kept[1] is not None:
                    links.append(kept[1])
                return kept[0]
            raw = html_lib.unescape(m.group(2)) if "&" in m.group(2) else m.group(2)
            link, hash_, fragment = raw.partition("#")
            if not link or not link.startswith("/") or link.startswith("//"):
                done[(m.group(0), where)] = (m.group(0), None)
                return m.group(0)
            links.append(link)
            # a KPI's history and sheets are each in a folder of their own (kpis/N/): their links are new to _done, not
            # to this
            placed = placed_at.get(link)
            if placed is None:
                placed = placed_at[link] = _where(link, self.exclude, self.pdf)
            if placed is UNPUBLISHED:
                out = 'data-unpublished=""'
            else:
                name = asset(placed) if isinstance(placed, str) else placed[1]
                if name is None:
                    failed.append(link)
                    return m.group(0)
                out = f'{m.group(1)}="{html_lib.escape(_relative(name, folder) + hash_ + fragment, quote=True)}"'
            done[(m.group(0), where)] = (out, link)
            return out
        page = _LINK.sub(sub, page)
        return None if failed else page

    def _unchanged(self, name: str, fingerprint: str) -> bool:
        return self.previous.get(name) == fingerprint

    def _write(self, name: str, content: bytes | None) -> bool:
        if content is None:
            return False
        path = self.out / name
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
        return True


# What the links of a run's pages were made into, kept for every batch a worker process finishes (a Finisher comes
# anew with each batch): (exclude, pdf) → ((attribute as a page has it, folder) → (rewritten, link followed), link → where
# it leads, site._where, whatever the folder). Neither depends on the data, only on the run's options and the assets'
# names, which come from mieruka's own files.
_REWRITTEN: dict[tuple, tuple[dict, dict]] = {}
_KEPT = 200_000  # attributes kept; each KPI's own links are new, so with tens of thousands of KPIs the table is emptied


def _rewritten(exclude: tuple[str, ...], pdf: bool) -> tuple[dict, dict]:
    kept = _REWRITTEN.get((exclude, pdf))
    if kept is None or len(kept[0]) + len(kept[1]) > _KEPT:
        kept = _REWRITTEN[(exclude, pdf)] = ({}, {})
    return kept


def asset_namer(get: Callable[[str], object]) -> Callable[[str], str | None]:
    """asset(path) for Finisher.finish: the hashed file name of an asset, got once through get(path) (a test client's
    GET), as the crawl names it (site._hashed of its content); None when the application does not serve it."""
    named: dict[str, str | None] = {}

    def asset(path: str) -> str | None:
        if path not in named:
            r = get(path)
            named[path] = _hashed(path.lstrip("/"), r.content) if r.status_code == 200 else None
        return named[path]
    return asset
