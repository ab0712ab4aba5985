"""The whole site as static files: every public page in Japanese and English, every download, every GET endpoint of
the JSON API, rendered through the application itself and written with relative links, so that any web server
or CDN can carry it from any sub-path. Assets carry a content hash in their names; a second run rewrites only
the files whose content changed; a folder holding anything but a previous output is refused."""
from __future__ import annotations

import csv
import gc
import hashlib
import html as html_lib
import io
import json
import os
import posixpath
import re
import time
import zipfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode

import orjson

from mieruka.publish.render import PdfPrinter, generated_at

MANIFEST = ".mieruka-publish.json"
# The data package's per-KPI rows as the previous run wrote them, each with the version of the KPI it was read at:
# a run after a change reads again only the changed KPIs' rows (not a file of the site: not listed, never served).
PIECES = ".mieruka-publish-data.json"
# Held (flock) by the run writing the folder, and naming it: a second run on the same folder is refused at once.
LOCK = ".mieruka-publish.lock"
# There while a run is under way, removed once its manifest is written: found by the next run, it says the previous one
# did not finish (its manifest's keys are not trusted, and every file there is the site's). A file of its own rather
# than the manifest rewritten with "in_progress" (80,000 files' names at 10,000 KPIs, written again only to say so).
RUNNING = ".mieruka-publish.running"
# (and their new versions, written whole then renamed: a run killed in between leaves one)
_OWN_FILES = (MANIFEST, PIECES, LOCK, RUNNING, MANIFEST + ".tmp", PIECES + ".tmp", RUNNING + ".tmp")
GENERATOR = "mieruka publish"
SEEDS = ("/", "/?lang=en")
# Pages that store what they derive when first asked (the registry of local bodies): asked before the data's versions
# are read, so that a first run leaves a record the next one can use. Not the overview ("/") nor the audit's pages:
# no request audits since the audit is stored as data is written (evaluate.stored), and asking the overview cost
# 0.3 s of every run at 10,000 KPIs, twice in a run that makes it again. ("/audit" was asked too: no such page.)
WARM_UP = ("/savings",)
ASSET_PREFIXES = ("/static/", "/vendor/")
API_PAGE = 1000  # the API's largest page
_API_KPI = re.compile(r"^/api/kpis/(\d+)$")
DIRECT_BATCH = 400  # per-KPI URLs rendered together (read in one set of queries)
# \b(href|src|action)="..." in effect, the boundary asked only where a name was found (a lookbehind after it): \b tried
# at every character was most of the time rewriting a page's links took
_LINK = re.compile(r'(href(?<!\whref)|src(?<!\wsrc)|action(?<!\waction))="([^"]*)"')
_GENERATED_SPAN = re.compile(r'<span class="generated">[^<]*</span>')
_STAMP = re.compile(r'<p class="generated-at">[^<]*</p>\n?')
_DOWNLOAD_WITHOUT_EXTENSION = re.compile(r"/documents/\d+/original$")  # the document as given, any type
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same data gives the same bytes

# Each source document's terms of use and attribution are recorded with it at ingest (records.licence: the terms it
# prints, else the declared default, the record saying which); the package lists each licence once and every source
# with its own.


UNPUBLISHED = "\0unpublished"

# Pages that show only the KPIs they name (link to, or mark with data-kpi), beside what every list shows of all KPIs
# (the "shape": counts, facets): a change to one KPI renders again only the pages that name it. Every other page
# depends on all the data. The local bodies' pages (/local…) name each KPI they show with a link to it (a body's
# "KPIs that count bodies like this one", whose choice — units, ids — is in the shape; the survey KPIs); their
# downloads and plans show none, so a renamed KPI leaves 3,500 of them as they are. A page of /api/evaluations holds
# the ratings of the KPIs it names (each with the KPI's name), in KPI order: which KPIs fall on which page follows
# from how many ratings each KPI has (in the shape) and the corrections that set some aside (in the rest), so a renamed
# KPI makes again only the page that names it (at 10,000 KPIs one of fifty).
_NARROW = re.compile(r"^/(?:api/)?(?:kpis(?:/\d+(?:/[a-z]+(?:\.[a-z]+)?)?)?|items/\d+)$|^/local(?:[/.]|$)"
                     r"|^/api/evaluations$")
# A document's own pages (its page, its API answer, its KPI status table) show the document and what was read from it:
# the rows of KPIs' tables that name it (appearances, baselines, targets, actuals, its ratings), besides the tables
# that are not KPIs' (documents, items, themes: in the rest) and what lists show of every KPI (tiers, parents: the
# shape). Not a KPI's current name or another document's figures: a renamed KPI leaves them as they were.
_DOCUMENT_PAGE = re.compile(r"^/(?:api/)?documents/(\d+)(?:/kpi-table\.[a-z]+|/original)?$")
# The audit's files and API pages show the audit stored for the current data as of the site's evaluation date (its
# findings name each KPI as they were audited, and documents by their labels: in the rest): they depend on that stored
# audit (web.evaluation.published_audit, asked through app.state), not on every KPI, so a renamed KPI leaves them as
# they were. With no audit stored as of that date they depend on all the data.
_AUDIT_PAGE = re.compile(r"^/audit\.[a-z]+$|^/api/audit$")
_OWN_KPI = re.compile(r"^/(?:api/)?(?:local/)?kpis?/(\d+)")
# Each searched for alone: a pattern that starts with its own text is found by a fast scan, an alternation of them
# tries every alternative at every byte (twice the time, on 60,000 pages at 10,000 KPIs)
_MENTIONS = tuple(re.compile(p) for p in (rb'/kpis/(\d+)', rb'/local/kpi/(\d+)', rb'data-kpi="(\d+)"',
                                          rb'"(?:id|kpi_id|parent_id)": ?(\d+)'))
_CODE_SUFFIXES = (".py", ".html", ".css", ".js", ".json", ".yaml", ".yml", ".toml", ".svg", ".txt", ".csv")


def code_version() -> str:
    """A digest of mieruka's own files (code, templates, strings, bundled data): any change renders every page again."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES
                       and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode("utf-8"))
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


class _Dependencies:
    """Which pages must be rendered again: each page's key is a digest of what it was made from — mieruka's code,
    the options of the run, the data every page shows, and either the digests of the KPIs the page names (a narrow
    page) or of all of them."""

    def __init__(self, versions: dict, options: str):
        self.kpis: dict = {int(k): v for k, v in versions["kpis"].items()}
        self.documents: dict = {int(k): v for k, v in versions.get("documents", {}).items()}
        self.audit: str | None = versions.get("audit")
        code = code_version()
        # what a KPI's rows of the data package are made of besides the KPI's own: the code and the other tables
        self.data = hashlib.sha256(f"{code}|{versions['rest']}".encode()).hexdigest()
        base = hashlib.sha256(f"{code}|{options}|{versions['rest']}|{versions['shape']}".encode())
        self.base = base.hexdigest()
        everything = hashlib.sha256(self.base.encode())
        for k in sorted(self.kpis):
            everything.update(f"{k}:{self.kpis[k]};".encode())
        self.everything = everything.hexdigest()
        self._keys: dict[tuple, str] = {}

    def key(self, deps: list[int] | str | None) -> str:
        if deps is None:
            return self.everything
        if deps == "audit":  # the audit's files and pages
            if self.audit is None:
                return self.everything
            return hashlib.sha256(f"{self.base}|audit|{self.audit}".encode()).hexdigest()
        if isinstance(deps, str):  # "document:N": a document's own page
            document = int(deps.partition(":")[2])
            return hashlib.sha256(f"{self.base}|{deps}|{self.documents.get(document, '-')}".encode()).hexdigest()
        # a KPI's pages (both languages, its API answer, its sheet) name the same KPIs: one digest for all of them
        known = tuple(deps)
        found = self._keys.get(known)
        if found is None:
            h = hashlib.sha256(self.base.encode())
            for k in deps:
                h.update(f"{k}:{self.kpis.get(k, '-')};".encode())
            found = self._keys[known] = h.hexdigest()
        return found

    @staticmethod
    def of(path: str, content: bytes) -> list[int] | str | None:
        """The KPIs a page depends on: None (all) unless it is a narrow page; then those it names, and its own; for a
        document's own page, "document:N" (what was read from document N); for the audit's, "audit"."""
        if _AUDIT_PAGE.match(path):
            return "audit"
        document = _DOCUMENT_PAGE.match(path)
        if document:
            return f"document:{int(document.group(1))}"
        if not _NARROW.match(path):
            return None
        if path == "/api/evaluations":  # its items' "id" is a rating's
            found = {item["kpi_id"] for item in json.loads(content).get("items", [])}
        elif path.startswith("/api/"):
            try:
                found = set(_kpis_in_json(json.loads(content)))
            except ValueError:
                found = _mentioned(content)
        else:
            found = _mentioned(content)
        own = _OWN_KPI.match(path)
        if own:
            found.add(int(own.group(1)))
        return sorted(found)


def _mentioned(content: bytes) -> set[int]:
    """The KPIs a page links to (/kpis/N, /local/kpi/N), marks (data-kpi) or names in JSON it holds."""
    found: set[int] = set()
    for pattern in _MENTIONS:
        found.update(map(int, pattern.findall(content)))
    return found


# In an API answer, "id" names a KPI in the answer itself, a list's items, a KPI's parent and children; elsewhere
# (appears_in, sources) it names a document.
_KPI_ID_PLACES = (None, "items", "parent", "children")


def _kpis_in_json(value, place: str | None = None):
    """The KPI ids an API answer names: its kpi_id and parent_id fields anywhere, "id" where it is a KPI's."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, int) and not isinstance(v, bool) and (
                    k in ("kpi_id", "parent_id") or (k == "id" and place in _KPI_ID_PLACES)):
                yield v
            elif isinstance(v, (dict, list)):
                yield from _kpis_in_json(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _kpis_in_json(v, place)


class TargetRefused(Exception):
    """The target folder holds something a previous publish did not write."""


@dataclass
class PublishResult:
    files: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    pages: int = 0
    broken: list[str] = field(default_factory=list)  # links the application itself answers with an error
    seconds: float = 0.0
    rendered: int = 0  # pages, downloads and API answers asked of the application this run (the rest were unchanged)


_HELD: set[str] = set()  # the folders this process holds the lock of
_LOCK_FDS: set[int] = set()  # their lock files' descriptors (a forked copy closes them: publish.ahead)
_CHECKED: dict[str, tuple[dict, set[str]]] = {}  # a held folder checked by check_target: for the run that follows


@contextmanager
def target_lock(out: Path):
    """Hold OUT for one run: another `mieruka publish` writing it (this machine, any process) is refused at once,
    named by its process id and start time, instead of both writing the same files and manifest. A folder that
    cannot be made or written is refused naming it (TargetRefused), not left to a traceback."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (the runs must not overlap)
        yield
        return
    try:
        key = str(out.resolve())
    except OSError as exc:
        raise TargetRefused(unwritable(out, exc)) from None
    if key in _HELD:
        yield
        return
    try:
        if not (out / LOCK).exists():
            check_target(out)  # no lock file left in a folder that is not ours
        out.mkdir(parents=True, exist_ok=True)
        fds = _take_lock(fcntl, out)
    except OSError as exc:
        raise TargetRefused(unwritable(out, exc)) from None
    try:
        started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fds[-1], 0)
        os.pwrite(fds[-1], f"process {os.getpid()}, started {started}\n".encode(), 0)
        _HELD.add(key)
        _LOCK_FDS.update(fds)
        try:
            yield
        finally:
            _HELD.discard(key)
            _CHECKED.pop(key, None)
    finally:
        _LOCK_FDS.difference_update(fds)
        for fd in fds:
            os.close(fd)  # closing releases the lock


def unwritable(out: Path, exc: OSError) -> str:
    """The message for a target folder the system will not let a run make or write (exc says why)."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else ""
    try:
        if out.is_symlink() and not out.exists():
            reason = "it is a link to something that does not exist"
    except OSError:  # the name itself is what the system refuses (too long)
        pass
    return (f"{out} cannot be made or written as the site's folder: {reason}{where}; give a folder you can write / "
            f"{out} にサイトを書き込めません（{reason}）")


def _holder(out: Path) -> str:
    """What the run holding OUT wrote of itself in its lock file ("" when there is none)."""
    try:
        with open(out / LOCK, "rb") as f:
            return f.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _take_lock(fcntl, out: Path) -> list[int]:
    """The run's locks on OUT: the folder itself, then its lock file (which names the holder). The folder's lock is
    what keeps a second run out when someone deleted the lock file while the first ran (the second would make a new
    file and lock that); each is checked, once locked, to be still what the path names (a folder or file replaced
    between open and flock would be a lock nobody else asks for), and taken again if it was replaced."""
    fds: list[int] = []
    try:
        for path, flags, what in ((out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0), "folder"),
                                  (out / LOCK, os.O_RDWR | os.O_CREAT, "file")):
            for _attempt in range(100):
                fd = os.open(path, flags, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    # the holder names itself in the lock file; a folder held with no such file: it was removed
                    holder = _holder(out) or (f"another process; no {LOCK} names it: removed, or not yet written"
                                              if what == "folder" else "another process")
                    raise TargetRefused(f"{out} is being written by another `mieruka publish` ({holder}); wait for "
                                        f"it to finish or give another folder / {out} には別の publish が書き込み中です"
                                        ) from None
                except OSError:
                    os.close(fd)
                    if what == "folder":  # a file system that locks no folder (NFS): the lock file alone, as before
                        break
                    raise
                except BaseException:
                    os.close(fd)
                    raise
                try:
                    now = os.stat(path)
                    held = os.fstat(fd)
                    same = (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev)
                except FileNotFoundError:
                    same = False
                if same:
                    fds.append(fd)
                    break
                os.close(fd)  # replaced or removed since it was opened: lock what the path names now
            else:
                raise TargetRefused(f"{out}: its {what} {path.name} keeps being replaced; no run can hold it / "
                                    f"{out} のロックを取得できません")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def check_target(out: Path) -> dict:
    """The previous manifest of OUT ({} for a new or empty folder); refuse anything else. Checked while this process
    holds OUT (target_lock), what was found is kept for the run that follows in the same hold: the walk of 80,000
    files and the manifest's load (0.5 s at 10,000 KPIs) are not done twice."""
    checked = _checked(out)
    key = _held(out)
    if key is not None:
        _CHECKED[key] = checked
        gc.freeze()  # (the manifest: out of the collections until the run ends, as _publish does)
    return checked[0]


def _held(out: Path) -> str | None:
    """OUT's key in _HELD when this process holds it, else None."""
    try:
        key = str(out.resolve())
    except OSError:
        return None
    return key if key in _HELD else None


def _checked(out: Path) -> tuple[dict, set[str]]:
    """check_target, and the files found in OUT (one walk of a folder that holds 80,000 files serves both)."""
    if not out.exists():
        return {}, set()
    if not out.is_dir():
        raise TargetRefused(f"{out} is a file, not a folder / {out} はフォルダではありません")
    found = files_in(out)
    present = sorted(found - {LOCK})
    if not present:
        return {}, found
    manifest = _own(out / RUNNING) if RUNNING in found else None
    if manifest is None:
        manifest = _own(out / MANIFEST)
    if manifest is None:
        example = next((p for p in present if p not in _OWN_FILES), present[0])
        raise TargetRefused(f"{out} holds files that `mieruka publish` did not write (e.g. {example}); "
                            f"give an empty or new folder / {out} には publish の出力以外のファイルがあります")
    if manifest.get("in_progress"):  # RUNNING, or the manifest of an earlier mieruka that said so itself
        # a run that was stopped before it finished: what is there is its own or an earlier run's, none of it known
        # to be current, so all of it is made again and what is not made again is removed
        return {"generator": GENERATOR, "files": {p: "" for p in present if p not in _OWN_FILES}}, found
    known = manifest.get("files", {})
    foreign = [p for p in present if p not in _OWN_FILES and p not in known]
    if foreign:
        raise TargetRefused(f"{out} holds {len(foreign)} file(s) a previous publish did not write: "
                            f"{', '.join(foreign[:5])}; move them away or give another folder / "
                            f"publish の出力以外のファイルがあります")
    return manifest, found


@contextmanager
def _uncollected():
    """No cyclic garbage collection meanwhile: loading the manifest or the data pieces makes millions of lists and
    dicts, and the collections they set off (each a walk of all of them) doubled the time of loading."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _own(path: Path) -> dict | None:
    """What a file of publish's own (the manifest, RUNNING) says, None when it is missing or not publish's."""
    try:
        content = path.read_bytes()
        with _uncollected():
            said = orjson.loads(content)
    except (OSError, ValueError):
        return None
    return said if isinstance(said, dict) and said.get("generator") == GENERATOR else None


def files_in(out: Path) -> set[str]:
    """Every file under OUT, as paths relative to it: what os.walk gives (a link to a folder is not a file and is not
    followed; a folder that cannot be read is passed over), by scandir with each folder's relative path carried down
    rather than worked out again (relpath) and no lstat a folder: a site of 10,000 KPIs has 80,000 files in 20,000
    folders (0.29 → 0.12 s)."""
    found = set()
    folders = [(os.fspath(out), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if not is_dir:
                        found.add(prefix + entry.name)
                    elif not entry.is_symlink():
                        folders.append((entry.path, f"{prefix}{entry.name}/"))
        except OSError:
            continue
    return found


def _key(url: str) -> tuple[str, tuple]:
    # a link into the site ("/path?query", no scheme or host): split by hand, urlsplit costs more than the rest of
    # placing a link, and a site of 10,000 KPIs holds 100,000 links
    path, _, query = url.partition("#")[0].partition("?")
    if not query:
        return path or "/", ()
    if query == "lang=en":
        return path or "/", (("lang", "en"),)
    return path or "/", tuple(sorted((k, v) for k, v in parse_qsl(query) if k in ("lang", "page", "offset", "limit")))


def _url(path: str, query: tuple) -> str:
    return path + (f"?{urlencode(query)}" if query else "")


def file_for(path: str, query: tuple, html: bool) -> str:
    """Where a URL lives in the static site: pages as .html (English under en/), API answers as .json, downloads
    and assets under their own path. Only lang and page (and the API's offset) tell pages apart."""
    if not query and html and not path.startswith("/api/"):  # a page in Japanese, first of its list: most links
        base = "index" if path == "/" else path.strip("/")
        return (base[:-5] if base.endswith(".html") else base) + ".html"
    q = dict(query)
    if path.startswith("/api/"):
        offset = int(q.get("offset", 0) or 0)
        base = path.strip("/").removesuffix(".json")
        return base + (f".offset-{offset}" if offset else "") + ".json"
    if not html:
        return path.lstrip("/")
    base = "index" if path == "/" else path.strip("/")
    if base.endswith(".html"):
        base = base[:-5]
    if q.get("page") not in (None, "", "1"):
        base += f".page-{q['page']}"
    return ("en/" if q.get("lang") == "en" else "") + base + ".html"


def _relative(name: str, folder: list[str]) -> str:
    """posixpath.relpath(name, folder) for a file name and a folder inside the site (neither has . or ..)."""
    parts = name.split("/")
    common = 0
    for a, b in zip(parts[:-1], folder):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(folder) - common) + parts[common:])


def _hashed(name: str, content: bytes) -> str:
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _fingerprint(name: str, content: bytes) -> str:
    """What decides "changed": the content without the moments it was made (report stamps, XLSX properties)."""
    if name.endswith((".html", ".pdf.src")):
        return _page_fingerprint(content.decode("utf-8", "replace"))
    if name.endswith(".xlsx"):
        return _xlsx_digest(content)
    return hashlib.sha256(content).hexdigest()


def _page_fingerprint(text: str) -> str:
    """_fingerprint of a page's text (not encoded and decoded again): without a report's stamp and generated-at line,
    looked for only where the page holds one."""
    if '<span class="generated">' in text:
        text = _GENERATED_SPAN.sub("", text)
    if '<p class="generated-at">' in text:
        text = _STAMP.sub("", text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _xlsx_digest(content: bytes) -> str:
    """A workbook's digest without the moments it was made (docProps/core.xml, and each member's time in the zip's
    headers): the members as stored, compressed, by name. Not inflated: that was a fifth of finishing a KPI's pages.
    The same content compresses to the same bytes with the same zlib."""
    h = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if info.filename == "docProps/core.xml":
                continue
            start = info.header_offset + 30 + int.from_bytes(content[info.header_offset + 26:info.header_offset + 28],
                                                             "little") \
                + int.from_bytes(content[info.header_offset + 28:info.header_offset + 30], "little")
            h.update(f"{info.filename}\0{info.compress_type}\0{info.compress_size}\0".encode("utf-8"))
            h.update(content[start:start + info.compress_size])
    return h.hexdigest()


class _Writer:
    def __init__(self, out: Path, previous: dict, result: PublishResult, present: set[str] = frozenset()):
        self.out, self.previous, self.result = out, previous.get("files", {}), result
        self.present = present if self.previous else set()  # what is there (one walk, not a stat a file)
        self.files: dict[str, str] = {}
        self.meta: dict = {}  # what the next run needs to know which pages changed
        self.made: set[Path] = set()

    def keep(self, name: str) -> bool:
        """Keep a file of the previous run as it is (its inputs did not change), if it is still there."""
        fingerprint = self.previous.get(name)
        if fingerprint is None or name not in self.present:
            return False
        self.files[name] = fingerprint
        self.result.unchanged += 1
        return True

    def unchanged(self, name: str, fingerprint: str) -> bool:
        return self.previous.get(name) == fingerprint and name in self.present

    def write(self, name: str, content: bytes, fingerprint: str | None = None) -> None:
        fingerprint = fingerprint or _fingerprint(name, content)
        self.files[name] = fingerprint
        if self.unchanged(name, fingerprint):
            self.result.unchanged += 1
            return
        path = self.out / name
        if path.parent not in self.made:  # one mkdir a folder, not a file
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        self.result.written += 1


def _stamp(page: str, at: datetime) -> str:
    line = _stamp_line('<html lang="en">' in page[:400], at)
    return page.replace("</body>", line + "</body>", 1) if "</body>" in page else page + line


@lru_cache(maxsize=8)
def _stamp_line(en: bool, at: datetime) -> str:
    """The generated-at line, the same on every page of a run in one language (the 和暦 made once, not a page)."""
    when = at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if en else generated_at(at)
    label = "Generated" if en else "生成日時"
    return f'<p class="generated-at">{label}: {when}</p>\n'


# The reporting cycle's pages (sign-in, reports, review, rounds, accounts) belong to the server, not to a read-only
# copy: a static sign-in form could never sign anyone in, and its one-time token would change the page every run.
STAFF_PAGES = ("/signin", "/signout", "/my", "/review", "/rounds", "/reports", "/admin", "/en/signin")


def publish_site(app, out: Path, *, tables: dict[str, list[dict]] | Callable[[], dict[str, list[dict]]],
                 documents: list[dict] | Callable[[], list[dict]],
                 at: datetime | None = None, pdf: bool = True, exclude: tuple[str, ...] = (),
                 versions: Callable[[], dict] | dict | None = None, direct=None, ahead: bool = False) -> PublishResult:
    """Crawl the application from its front pages (Japanese and English) and its API, and write the site to OUT.
    tables: the data for the bulk ZIP and datapackage.json (name → rows); documents: the sources for attribution;
    either may be a function, called only when the data changed since the previous run (else its files are kept).
    exclude: path prefixes left out (with pdf=False, the PDFs too): links to them lose their href, so the site
    has no link that leads nowhere. versions (a function giving storage.publishing.publish_versions): with them, a
    page whose inputs are those of the previous run is not asked of the application again; its file and links are
    taken as they were. They are read before and after the crawl: data that changed meanwhile leaves no record.
    direct (web.static_pages.KpiPages): answers the URLs it handles() as the application would, DIRECT_BATCH at a time
    from data read once per batch; the application answers the rest. ahead: with versions, the pages that show every
    KPI (publish.ahead.HEAVY) that are to be made again are asked of a forked copy of this process while the crawl
    makes the others (POSIX, more than one core)."""
    started = time.perf_counter()
    at = at or datetime.now(timezone.utc)
    exclude = tuple(exclude) + STAFF_PAGES
    threshold = gc.get_threshold()
    with target_lock(out):
        try:
            # a collection of the youngest objects every 20,000 made, not 700: a run keeps hundreds of thousands of
            # them (the pages' keys and links, the data pieces) and each collection that reaches the oldest walks them
            # all (0.6 → 0.36 s of collections in a run after a rename at 10,000 KPIs)
            gc.set_threshold(max(threshold[0], 20_000), *threshold[1:])
            return _publish(app, out, tables, documents, at, pdf, exclude, versions, direct, started, ahead)
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()  # (frozen once the previous manifest was read)


def _publish(app, out: Path, tables, documents, at, pdf: bool, exclude: tuple[str, ...], versions, direct,
             started: float, ahead: bool = False) -> PublishResult:
    from starlette.testclient import TestClient

    key = _held(out)
    previous, present = _CHECKED.pop(key, None) or _checked(out)
    # the previous manifest (millions of objects at 10,000 KPIs) is kept out of the collections to come: each would walk
    # it all again (gc.freeze; freed by reference counting as ever, and unfrozen when the run ends)
    gc.freeze()
    if not previous.get("pages") and hasattr(direct, "start"):
        direct.start()  # a first run (or one after a run that did not finish): every KPI's pages are to be made
    # a file edited since the previous run wrote it is made and written again, as if it were not there
    edited, found = _edited(out, previous, present)
    present = present - edited
    out.mkdir(parents=True, exist_ok=True)
    # until _finish records what was written, the folder says a run is under way (killed, the next run cleans up)
    _replace(out / RUNNING, orjson.dumps({"generator": GENERATOR, "in_progress": True}) + b"\n")
    result = PublishResult()
    writer = _Writer(out, previous, result, present)
    writer.found = found
    # localhost: a host name the app answers whatever MIERUKA_ALLOWED_HOSTS lists for its readers
    client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
    with client:  # one event loop for the whole crawl, not one per request
        if hasattr(versions, "start_from"):  # what the previous run read: only what was written since is read
            versions.start_from(previous.get("versions"))
        if versions is not None:
            for path in WARM_UP:  # what the application derives when first asked and stores (the registry) is stored now
                client.get(path)
        before = versions() if callable(versions) else versions
        # the stored audit the audit's pages show, read after the warm-up (which may have stored it)
        shown = {**before, "audit": _published_audit(app)} if before else before
        deps = _Dependencies(shown, f"pdf={pdf}|exclude={sorted(exclude)}") if shown else None
        data_key = deps.everything if deps else None
        old = previous.get("data") if data_key else None
        same_data = old and old[0] == data_key and all(n in writer.previous and n in writer.present for n in old[1])
        # forked before the crawl's threads start (the package's below, the workers'): a copy makes the pages that
        # show every KPI while this process makes the rest
        package_ahead = (lambda: _package_tables(out, tables, deps)) if not same_data and deps else None
        made_ahead = _ahead(app, previous, writer, deps, exclude, pdf, package_ahead) if ahead and deps else None
        # the data package's tables are read and made while the site is crawled: its reads and CSV lines take the
        # crawl's process, which mostly waits for the workers meanwhile (after the crawl they were the run's last
        # seconds, the workers idle)
        with ThreadPoolExecutor(1) as beside:  # leaving it waits for the tables, whatever the crawl did
            package = None if same_data or not deps or made_ahead is not None else \
                beside.submit(_package_tables, out, tables, deps)
            try:
                _crawl(client, app, out, previous, writer, result, at, exclude, pdf, deps, direct, made_ahead)
                made = package.result() if package else made_ahead.also() if made_ahead is not None else None
            finally:
                if made_ahead is not None:
                    made_ahead.close()
        if callable(versions) and versions() != before:
            writer.meta, deps = {}, None  # the data changed while the site was made: the next run makes all again
            data_key, same_data, made = None, False, None
    if same_data:
        data_files = [n for n in old[1] if writer.keep(n)]  # the same data: the package's files stay as they are
    else:
        data_files = _write_data(writer, made if made is not None else _package_tables(out, tables, deps),
                                 documents() if callable(documents) else documents)
    if writer.meta and data_key:
        writer.meta["data"] = [data_key, data_files]
    if writer.meta and before and before.get("tokens") is not None:
        writer.meta["versions"] = before  # (the data's as the pages were made: the next run reads what changed since)
    _finish(out, previous, writer, result, at)
    result.seconds = time.perf_counter() - started
    return result


def _ahead(app, previous: dict, writer: _Writer, deps: _Dependencies, exclude: tuple[str, ...], pdf: bool,
           package=None):
    """The Ahead making the pages of publish.ahead.HEAVY that the previous run made from all KPIs and this one is to
    make again (their key changed, or their file did), then the data package's tables (package(), when they are to be
    made again); None when there are no such pages, or no second core or fork."""
    from mieruka.publish.ahead import HEAVY, Ahead

    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return None
    pages = previous.get("pages", {})
    keys, names = [], set()
    for url in HEAVY:
        placed = _where(url, exclude, pdf)
        if not isinstance(placed, tuple) or placed[1] in names:  # (a download is one file for both languages)
            continue
        k, name = placed
        names.add(name)
        old = pages.get(name)
        # to be made again: its key changed, or its file is gone or edited (what reuse() will find; keep() not asked
        # here: it records the file as kept)
        if old is not None and old[1] is None and (old[0] != deps.key(None) or name not in writer.previous
                                                   or name not in writer.present):
            keys.append(k)
    return Ahead(app, keys, _url, package, close_fds=sorted(_LOCK_FDS)) if keys else None


def _published_audit(app) -> str | None:
    """The stored audit the application's audit pages show (app.state.published_audit: web.evaluation's
    published_audit), None without one: the audit's pages then depend on all the data."""
    named = getattr(app.state, "published_audit", None)
    return named() if named is not None else None


def _crawl(client, app, out: Path, previous: dict, writer: _Writer, result: PublishResult, at: datetime,
           exclude: tuple[str, ...], pdf: bool, deps: _Dependencies | None, direct=None, ahead=None) -> None:
    """Fetch, write and follow every page from the seeds; with deps (what the pages are made from, None without
    versions), record each page's key and links in writer.meta."""
    before = previous.get("pages", {}) if deps else {}
    pages: dict[str, list] = {}  # file name → [key, KPIs it depends on (None: all), links it holds]
    # every link met, once; pages refer to them by index. The previous run's numbers are kept, so a page kept as it
    # was keeps its list of links as it is (no link of it looked at one by one)
    links: list[str] = list(previous.get("links", [])) if deps else []
    link_index: dict[str, int] = {u: i for i, u in enumerate(links)}
    recording: list[list[int]] = [[]]  # the links of the page being rendered
    assets: dict[str, str] = {}  # asset URL path → hashed file name
    pdf_urls: list[str] = []

    def asset(path: str) -> str | None:
        if path not in assets:
            r = client.get(path)
            if r.status_code != 200:
                result.broken.append(path)
                return None
            name = _hashed(path.lstrip("/"), r.content)
            writer.write(name, r.content)
            assets[path] = name
        return assets[path]

    queue: deque[tuple[str, tuple]] = deque()
    seen: set[str] = set()
    names: dict[tuple[str, tuple], str] = {}

    resolved: dict[str, str | None] = {}  # link → what target() made of it: the same for every page that holds it

    def target(url: str) -> str | None:
        """The file a link points to (queued for fetching), None for a link to leave as it is, or UNPUBLISHED."""
        if not url.startswith("/") or url.startswith("//"):
            return None
        i = link_index.get(url)
        if i is None:
            i = link_index[url] = len(links)
            links.append(url)
        recording[0].append(i)
        if url in resolved:
            return resolved[url]
        name = resolved[url] = resolve(url)
        return name

    def resolve(url: str) -> str | None:
        placed = _where(url, exclude, pdf)
        if placed is UNPUBLISHED:
            return UNPUBLISHED
        if isinstance(placed, str):
            return asset(placed)
        k, name = placed
        if k not in names:
            names[k] = name
            if name not in seen:  # two spellings of one page (?page=1) are fetched once
                seen.add(name)
                queue.append(k)
        return names[k]

    def rewrite(page: str, here: str) -> str:
        folder = posixpath.dirname(here).split("/") if "/" in here else []

        def sub(m: re.Match) -> str:
            raw = html_lib.unescape(m.group(2)) if "&" in m.group(2) else m.group(2)
            link, hash_, fragment = raw.partition("#")
            if not link:
                return m.group(0)
            name = target(link)
            if name is None:
                return m.group(0)
            if name is UNPUBLISHED:
                return 'data-unpublished=""'
            rel = _relative(name, folder)
            return f'{m.group(1)}="{html_lib.escape(rel + hash_ + fragment, quote=True)}"'
        return _LINK.sub(sub, page)

    for seed in SEEDS:
        target(seed)
    api = _api_paths(app, client, sorted(deps.kpis) if deps else None)
    # Each KPI's page in both languages and its API answer first (the KPI lists link them all): the workers that make
    # them start at once, not after the crawl has made the lists and the all-KPI pages and downloads ahead of them in
    # its queue, and a batch reads each of its KPIs once for three of its URLs
    for path, _ in api:
        kpi = _API_KPI.match(path)
        if kpi:
            target(f"/kpis/{kpi.group(1)}")
            target(f"/kpis/{kpi.group(1)}?lang=en")
            target(path)
    for path, _ in api:
        target(path)

    followed: set[int] = set()  # links of kept pages resolved this run (their pages queued)
    kept: set[str] = set()  # pages kept as they were (their lists of links too)
    kept_links: list[list[int]] = []  # the links of pages kept since the last follow_kept()

    def reuse(name: str) -> bool:
        """The previous run's file, when what it was made from has not changed: its links are followed as they were
        (all kept pages' together, by follow_kept)."""
        old = before.get(name)
        if old is None or deps.key(old[1]) != old[0] or not writer.keep(name):
            return False
        pages[name] = old
        kept.add(name)
        kept_links.append(old[2])
        return True

    def follow_kept() -> None:
        """Resolve (and queue the pages of) the links the kept pages hold that this run has not met: one union of
        their lists, not a set per page (80,000 pages at 10,000 KPIs)."""
        new = set().union(*kept_links)
        kept_links.clear()
        new.difference_update(followed)
        followed.update(new)
        for i in sorted(new):  # in the order the links were first met: pages are queued as a crawl meets them
            url = links[i]
            if url not in resolved:
                resolved[url] = resolve(url)

    def record(name: str, path: str, content: bytes, held: list[int] | None = None) -> None:
        if deps:
            needs = deps.of(path, content)
            pages[name] = [deps.key(needs), needs, recording[0] if held is None else held]

    def fetch(path: str, query: tuple):
        return client.get(_url(path, query + ((("limit", str(API_PAGE)),) if path.startswith("/api/") and
                                               not path.startswith("/api/openapi") else ())))

    def take(k: tuple[str, tuple], r) -> None:
        """Write one answer of the application (or of direct, which answers as it would) and follow its links."""
        path, query = k
        name = names[k]
        recording[0] = []
        result.rendered += 1
        if r.status_code == 422 and path.startswith("/api/"):
            # An endpoint that needs a question (search needs q) has no one answer: say so in its place.
            record(name, path, b"")
            writer.write(name, (json.dumps({"detail": f"{path} answers questions (see api/openapi.json); a static "
                                            "copy cannot: ask a running mieruka server"}) + "\n").encode("utf-8"))
            return
        if r.status_code != 200:
            result.broken.append(_url(path, query))
            return
        ctype = r.headers.get("content-type", "")
        record(name, path, r.content)
        if ctype.startswith("text/html"):
            result.pages += 1
            page = rewrite(r.text, name)
            fingerprint = (_page_fingerprint(page) if name.endswith(".html")
                           else _fingerprint(name, page.encode("utf-8")))
            if writer.unchanged(name, fingerprint):
                writer.write(name, b"", fingerprint)
            else:
                writer.write(name, _stamp(page, at).encode("utf-8"), fingerprint)
        else:
            writer.write(name, r.content)
            if path.startswith("/api/") and ctype.startswith("application/json"):
                _queue_api_pages(r.json(), path, query, target)

    waiting: deque[tuple[str, tuple]] = deque()  # URLs direct answers, gathered to be read and rendered together
    pending: deque = deque()  # (batch, its answers to come): rendered meanwhile when direct has workers
    in_flight = max(2, getattr(direct, "workers", 1) * 2)

    def took(k: tuple[str, tuple], done) -> None:
        """Record a page a worker finished and wrote (publish.finishing): follow its links, keep its key."""
        name = names[k]
        recording[0] = []
        result.rendered += 1
        result.pages += done.html
        for link in done.links:
            target(link)
        if deps:
            pages[name] = [deps.key(done.needs), done.needs, recording[0]]
        writer.files[name] = done.fingerprint
        if done.written:
            result.written += 1
        else:
            result.unchanged += 1
        if done.body is not None:
            _queue_api_pages(json.loads(done.body), k[0], k[1], target)

    def take_batch() -> None:
        urls, answers = pending.popleft()
        answers = answers.result()
        for k in urls:
            a = answers[k] if k in answers else fetch(*k)
            took(k, a) if hasattr(a, "fingerprint") else take(k, a)

    def send(size: int) -> None:
        """The next batch to direct; with workers, they finish and write its pages too (the crawl's process is one
        core)."""
        urls = [waiting.popleft() for _ in range(min(size, len(waiting)))]
        if not hasattr(direct, "submit"):
            pending.append((urls, _done(direct.render(urls))))
            return
        # what a publish.finishing.Finisher is made of: the renderer (web, above this layer) makes it in its worker
        finish = (out, at, exclude, pdf, deps is not None, {k: names[k] for k in urls},
                  {names[k]: writer.previous[names[k]] for k in urls
                   if names[k] in writer.previous and names[k] in writer.present})
        pending.append((urls, direct.submit(urls, finish)))

    # The workers' batches and the crawl's own pages go on at once: while batches are out, the crawl asks the
    # application for the pages the workers do not make (lists, items, downloads) instead of waiting for an answer,
    # and takes each batch's answers as soon as they are there. Waiting for the oldest batch only when it has nothing
    # else to do kept one core idle for half of a first run (the crawl's pages came before or after the workers').
    deferred: list[tuple[str, tuple]] = []  # pages the copy (ahead) makes: taken once the crawl has nothing else to do
    while queue or waiting or pending or kept_links or deferred:
        while pending and pending[0][1].done():
            take_batch()
        while len(waiting) >= DIRECT_BATCH and len(pending) < in_flight:
            send(DIRECT_BATCH)
        if queue:
            path, query = k = queue.popleft()
            name = names[k]
            if path.endswith(".pdf"):
                pdf_urls.append(path)
            elif deps and reuse(name):
                result.pages += name.endswith(".html")
            elif ahead is not None and k in ahead.keys:
                deferred.append(k)
            elif direct is None or not direct.handles(path):
                take(k, fetch(path, query))
            else:
                waiting.append(k)
        elif kept_links:
            follow_kept()
        elif waiting and len(pending) < in_flight:
            send(DIRECT_BATCH)
        elif deferred:
            made = ahead.answers()
            for k in deferred:
                take(k, made[k] if k in made else fetch(*k))
            deferred.clear()
        elif pending:
            take_batch()

    todo = []
    for path in pdf_urls:
        name = names[(path, ())]
        if not (deps and reuse(name)):
            todo.append(path)
    kept_links.clear()  # a PDF holds no links
    if todo:
        _print_pdfs(client, todo, names, writer, result, record)
    if deps:
        # the pages this run kept or made, and the links they hold; the links no page holds any more are dropped
        # (numbered again) only when they are many, so that the numbers mostly stay from run to run
        for name, p in pages.items():
            if name not in kept:
                p[2] = list(dict.fromkeys(p[2]))
        used = set().union(*(p[2] for p in pages.values()))
        if len(used) * 2 < len(links):
            order = sorted(used)
            renumber = {i: n for n, i in enumerate(order)}
            writer.meta = {"pages": {n: [p[0], p[1], [renumber[i] for i in p[2]]] for n, p in sorted(pages.items())},
                           "links": [links[i] for i in order]}
        else:
            writer.meta = {"pages": dict(sorted(pages.items())), "links": links}


def _where(url: str, exclude: tuple[str, ...], pdf: bool):
    """Where a link into the site leads: UNPUBLISHED, an asset's path (its file is named by its content), or the
    page's (path, query) and file name. The crawl and the workers that finish pages (publish.finishing) both ask."""
    path, query = _key(url)
    if path.startswith(exclude) or (not pdf and path.endswith(".pdf")):
        return UNPUBLISHED
    if path.startswith(ASSET_PREFIXES):
        return path
    if path.endswith(".pdf"):
        query = ()
    if not query:  # most links (a run after a change places 100,000 of them again): no query to sift
        pass
    elif path.startswith("/api/") and not path.startswith("/api/openapi"):
        query = tuple(kv for kv in query if kv[0] in ("offset",))
    else:
        query = tuple(kv for kv in query if kv in (("lang", "en"),) or (kv[0] == "page" and kv[1] not in ("", "1")))
    name = path.rpartition("/")[2]
    html = name.endswith(".html") or ("." not in name and not (name == "original" and
                                                                _DOWNLOAD_WITHOUT_EXTENSION.search(path)))
    return (path, query), file_for(path, query, html=html)


def _done(value):
    from concurrent.futures import Future

    future = Future()
    future.set_result(value)
    return future


def _api_paths(app, client, kpi_ids: list[int] | None = None) -> list[tuple[str, tuple]]:
    """Every GET endpoint of the API: lists as they are, one-item endpoints for every id their list gives."""
    routes = [r for r in _routes(app.routes) if getattr(r, "path", "").startswith("/api/") and "GET" in getattr(r, "methods", ())]
    plain = [r.path for r in routes if "{" not in r.path]
    out = [(p, ()) for p in plain if not _needs_query(r for r in routes if r.path == p)]
    for r in routes:
        if r.path.count("{") != 1:
            continue
        parent = r.path.split("/{")[0]
        if parent not in plain:
            continue
        if parent == "/api/kpis" and kpi_ids is not None:  # the stored KPIs: no need to page through the API
            out += [(re.sub(r"\{[^}]+\}", str(i), r.path), ()) for i in kpi_ids]
            continue
        ids, offset = [], 0
        while True:
            got = client.get(parent, params={"limit": API_PAGE, "offset": offset})
            if got.status_code != 200:
                break
            body = got.json()
            items = body.get("items", []) if isinstance(body, dict) else []
            ids += [item.get("id") for item in items if isinstance(item, dict) and item.get("id") is not None]
            offset += API_PAGE
            if not items or offset >= body.get("total", 0):
                break
        out += [(re.sub(r"\{[^}]+\}", str(i), r.path), ()) for i in ids]
    return out


def _needs_query(routes) -> bool:
    """An endpoint with a required query parameter (search needs q) has no one answer to write."""
    for r in routes:
        for p in getattr(getattr(r, "dependant", None), "query_params", []):
            # pydantic 2's ModelField says so through field_info; pydantic 1's had .required
            required = getattr(p, "required", None)
            if required is None:
                required = p.field_info.is_required()
            if required:
                return True
    return False


def _queue_api_pages(body, path: str, query: tuple, target) -> None:
    if isinstance(body, dict) and "total" in body and "offset" in body and not dict(query).get("offset"):
        for offset in range(API_PAGE, int(body["total"]), API_PAGE):
            target(f"{path}?offset={offset}")


def _print_pdfs(client, paths: list[str], names: dict, writer: _Writer, result: PublishResult, record) -> None:
    """Each report PDF is its print view printed: fetch the .html sibling, print only when it changed."""
    todo = []
    for path in paths:
        r = client.get(path[:-4] + ".html")
        result.rendered += 1
        if r.status_code != 200:
            result.broken.append(path)
            continue
        name = names[(path, ())]
        record(name, path, r.content, [])
        fingerprint = _fingerprint(name + ".src", r.content)
        if writer.unchanged(name, fingerprint):
            writer.write(name, b"", fingerprint)
        else:
            todo.append((name, r.text, fingerprint))
    if todo:
        with PdfPrinter() as printer:
            for name, page, fingerprint in todo:
                writer.write(name, printer.print(page), fingerprint)


# Column descriptions of the data package, Japanese and English.
COLUMNS = {
    "id": ("ID", "identifier"), "kpi_id": ("KPIのID", "KPI identifier"), "kpi": ("KPI名", "KPI name"),
    "name": ("名称", "name"), "tier": ("階層（1: 第一階層、2: 第二階層）", "tier (1 or 2)"),
    "reform_item": ("改革項目", "reform item"), "organisation": ("府省庁", "ministry"), "unit": ("単位", "unit"),
    "direction": ("望ましい方向（up/down）", "desired direction (up/down)"), "baseline": ("基準値", "baseline value"),
    "baseline_as_of": ("基準値の時点", "baseline date"), "target": ("目標値", "target value"),
    "target_deadline": ("目標の期限", "target deadline"), "target_text": ("目標（文書の記載）", "target as written"),
    "latest": ("最新の実績値", "latest actual"),
    **{f"{key}_precision": (f"{ja}の精度（day: 日、month: 月、fiscal_year: 年度（年度末の日付で保存）、year: 年）",
                            f"how precisely the document gave the {en} (day, month, fiscal_year: stored at its 31 March, "
                            f"year)")
       for key, ja, en in (("baseline_as_of", "基準値の時点", "baseline's date"),
                           ("target_deadline", "目標の期限", "target's deadline"),
                           ("latest_as_of", "最新の実績値の時点", "latest actual's date"),
                           ("deadline", "期限", "deadline"), ("promised_by", "設定予定時期", "promised date"),
                           ("as_of", "時点", "date"))}, "latest_as_of": ("最新の実績値の時点", "latest actual's date"),
    "latest_status": ("実績値の種別（速報・確報・見込み）", "kind of the latest actual (preliminary/final/forecast)"),
    "official_ratings": ("公表された評価区分（文書）", "official ratings (document)"),
    "documents": ("記載のある文書", "documents it appears in"), "value": ("値", "value"),
    "deadline": ("期限", "deadline"), "comparator": ("比較（ge/le/eq）", "comparator (ge/le/eq)"),
    "relative_factor": ("基準年度比の倍率", "factor relative to a base year"),
    "relative_base_year": ("比較の基準年度", "base fiscal year"), "unset": ("目標未設定", "target not set"),
    "promised_by": ("設定予定時期", "promised by"), "interim": ("年度ごとの中間目標", "yearly interim target"),
    "edition": ("版（改革工程表）", "edition of the reform schedule"), "text": ("文書の記載", "as written"),
    "document": ("出典の文書", "source document"), "line": ("出典の行", "line in the source document"),
    "as_of": ("時点", "as of"), "status": ("種別（速報・確報・見込み）", "kind (preliminary/final/forecast)"),
    "scheme": ("評価方式", "rating scheme"), "code": ("評価区分", "rating code"),
    "official": ("公表された評価か（mieruka計算ではない）", "published by a document (not computed by mieruka)"),
    "explanation": ("評価の説明", "explanation of the rating"), "kind": ("種類", "kind"),
    "message": ("指摘", "finding"), "sources": ("出典", "sources"), "no": ("番号", "number"),
    "pillar": ("対応する柱", "pillar"), "timing": ("計画掲載時期", "timing"), "lead": ("主担当府省庁", "lead ministry"),
    "ministries": ("府省庁", "ministries"), "kpi_progress": ("KPI（進捗）", "KPI (progress)"),
    "kpi_effect": ("KPI（効果）", "KPI (effect)"), "budget_programme": ("予算事業名", "budget programme"),
    "urls": ("参考URL", "reference URLs"), "case_id": ("事例のID", "case identifier"), "title": ("名称", "title"),
    "municipalities": ("団体", "local bodies"), "body_codes": ("団体コード（JIS X 0402）", "JIS X 0402 codes"),
    "theme": ("テーマ", "theme"), "effect": ("効果", "effect"), "amount_yen": ("金額（円）", "amount in yen"),
    "change_percent": ("増減（%）", "change in %"), "period_years": ("期間（年）", "period in years"),
    "effect_text": ("効果（文書の記載）", "effect as written"), "file_name": ("ファイル名", "file name"),
    "family": ("文書の種類", "document family"), "doc_date": ("文書の日付", "document date"),
    "sha256": ("SHA-256", "SHA-256 of the file as ingested"), "encoding": ("文字コード", "encoding"),
    "size_bytes": ("大きさ（バイト）", "size in bytes"), "ingested_at": ("取込日時", "ingested at"),
    "licence": ("利用条件", "terms of use"),
    "licence_basis": ("利用条件の根拠（printed: 文書に記載、default: mierukaの既定値）",
                      "basis of the terms (printed by the document, or mieruka's default)"),
    "attribution": ("出典の表示", "attribution the terms ask for"), "origin": ("取得元", "where the document was taken from"),
}
_PREFIXED = {"computed:": ("mierukaが計算した評価区分（方式: {x}）", "rating computed by mieruka under scheme {x}"),
             "effect:": ("期待される効果: {x}", "expected effect: {x}")}
TABLE_TITLES = {"kpis": ("KPI一覧", "KPIs"), "targets": ("目標値", "Targets"), "observations": ("実績値", "Actuals"),
                "ratings": ("評価", "Ratings"), "audit": ("監査の指摘", "Audit findings"),
                "measures": ("国の施策", "National measures"), "cases": ("先進・優良事例", "Advanced cases"),
                "documents": ("文書", "Documents")}


def _describe(column: str) -> tuple[str, str]:
    if column in COLUMNS:
        return COLUMNS[column]
    for prefix, (ja, en) in _PREFIXED.items():
        if column.startswith(prefix):
            x = column[len(prefix):]
            return ja.format(x=x), en.format(x=x)
    return column, column


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _licence(document: dict) -> dict:
    from mieruka.records.licence import recorded_or_default

    return recorded_or_default(document.get("licence"), document.get("title"), document["file_name"])


def _package_licence(record: dict) -> dict:
    """A licence as a Data Package lists it: name, path (when it has one) and its title in both languages."""
    out = {"name": record["name"], "title": f"{record['terms']} / {record['terms_en']}"}
    if record.get("path"):
        out["path"] = record["path"]
    return out


def _licences(documents: list[dict]) -> list[dict]:
    """The licences of the sources, each once, in the order the documents first name them."""
    found: dict[str, dict] = {}
    for d in documents:
        lic = _package_licence(_licence(d))
        found.setdefault(json.dumps(lic, sort_keys=True, ensure_ascii=False), lic)
    return list(found.values())


class _Table:
    """A table of the data package as its CSV needs it: the columns (in the order rows first have them), the rows as
    CSV lines, and each column's kinds of values (what its schema type follows from)."""

    def __init__(self, columns: list[str], body: str, kinds: dict[str, set]):
        self.columns, self.body, self.kinds = columns, body, kinds


def _kind(v) -> str:
    """A present value's kind: b(oolean), i(nteger), f(loat), t (datetime), d(ate), s(tring, or anything else)."""
    if isinstance(v, bool):
        return "b"
    if isinstance(v, int):
        return "i"
    if isinstance(v, float):
        return "f"
    if isinstance(v, datetime):
        return "t"
    if isinstance(v, date):
        return "d"
    return "s"


def _type_of_kinds(kinds: set) -> str:
    """A column's schema type from the kinds of its present values (not None, not ""): boolean, integer or number
    only when every value is one, datetime or date likewise, else string."""
    if not kinds:
        return "string"
    if kinds == {"b"}:
        return "boolean"
    if kinds == {"i"}:
        return "integer"
    if kinds <= {"i", "f"}:
        return "number"
    if kinds == {"t"}:
        return "datetime"
    if kinds <= {"d", "t"}:
        return "date"
    return "string"


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def _table_of(rows: list[dict]) -> _Table:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([_cell(row.get(c)) for c in columns])
    kinds: dict[str, set] = {c: set() for c in columns}
    for row in rows:
        for c, v in row.items():
            if v is not None and v != "":
                kinds[c].add(_kind(v))
    return _Table(columns, buf.getvalue(), kinds)


# The data package's tables made of rows of one KPI each, and the column naming it.
_KPI_TABLE_KEYS = {"kpis": "id", "targets": "kpi_id", "observations": "kpi_id", "ratings": "kpi_id"}


def _package_tables(out: Path, tables, deps: _Dependencies | None) -> dict[str, _Table]:
    """The data package's tables. With the data's versions and a `tables` that takes kpi_ids, the rows of the KPIs whose
    version is that of the previous run are taken from its pieces file (PIECES) and only the other KPIs' rows are
    read; the tables not made of KPIs' rows are read whole, but for the audit's: when `tables` takes `audit` and the
    stored audit the site shows is the one the pieces file kept the table of (deps.audit, and the same other tables),
    it is not read again (10,000 findings with their sources named: 0.3 s). The pieces file is kept for the next run."""
    import inspect

    pieces_path = out / PIECES
    parameters = inspect.signature(tables).parameters if callable(tables) else {}
    partial = deps is not None and "kpi_ids" in parameters
    if not partial:
        pieces_path.unlink(missing_ok=True)  # made from data of unknown versions: no run may trust it
        got = tables() if callable(tables) else tables
        return {key: _table_of(rows) for key, rows in got.items()}
    kept = _kept_pieces(pieces_path, deps.data)
    columns = [tuple(c) for c in kept["columns"]]
    kinds = [{c: set(k) for c, k in d.items()} for d in kept["kinds"]]
    column_index = {c: i for i, c in enumerate(columns)}
    kinds_index = {json.dumps(sorted((c, "".join(sorted(k))) for c, k in d.items())): i for i, d in enumerate(kinds)}
    old = kept["kpis"]
    pieces: dict[int, list] = {}
    changed = []
    for k, version in deps.kpis.items():
        piece = old.get(str(k))
        if piece is not None and piece[0] == version:
            pieces[k] = piece
        else:
            changed.append(k)
    # the audit's table as the previous run made it, when the site shows the same stored audit
    audit = kept.get("audit")
    audit = _Table(audit[1], audit[2], {c: set(k) for c, k in audit[3].items()}) \
        if audit and deps.audit is not None and audit[0] == deps.audit and "audit" in parameters else None
    # a first run reads every KPI in the usual chunks rather than by a list of ten thousand ids
    got = tables(kpi_ids=None if len(changed) == len(deps.kpis) else sorted(changed),
                 **({"audit": False} if audit is not None else {}))

    def intern_columns(cols: tuple) -> int:
        i = column_index.get(cols)
        if i is None:
            i = column_index[cols] = len(columns)
            columns.append(cols)
        return i

    def intern_kinds(found: dict[str, set]) -> int:
        key = json.dumps(sorted((c, "".join(sorted(k))) for c, k in found.items()))
        i = kinds_index.get(key)
        if i is None:
            i = kinds_index[key] = len(kinds)
            kinds.append(found)
        return i

    fresh: dict[int, dict] = {k: {} for k in changed}
    for key, id_column in _KPI_TABLE_KEYS.items():
        by_kpi: dict[int, list[dict]] = {}
        for row in got.get(key, []):
            by_kpi.setdefault(row[id_column], []).append(row)
        for k, rows in by_kpi.items():
            if k not in fresh:  # a KPI whose version was not read (stored meanwhile): left for the next run
                continue
            found: dict[str, set] = {}
            lines = []
            for row in rows:
                cols = tuple(row)
                for c, v in row.items():
                    if v is not None and v != "":
                        found.setdefault(c, set()).add(_kind(v))
                lines.append([intern_columns(cols), _csv_line([_cell(v) for v in row.values()])])
            fresh[k][key] = [intern_kinds(found), lines]
    for k in changed:
        pieces[k] = [deps.kpis[k], fresh[k]]

    out_tables: dict[str, _Table] = {}
    for key in _KPI_TABLE_KEYS:
        if key not in got:
            continue
        order: list[str] = []
        seen_cols: set[int] = set()
        seen_kinds: set[int] = set()
        for k in sorted(pieces):
            entry = pieces[k][1].get(key)
            if not entry:
                continue
            seen_kinds.add(entry[0])
            for ci, _line in entry[1]:
                if ci not in seen_cols:
                    seen_cols.add(ci)
                    order += [c for c in columns[ci] if c not in order]
        whole = tuple(order)
        body = []
        for k in sorted(pieces):
            entry = pieces[k][1].get(key)
            if not entry:
                continue
            for ci, line in entry[1]:
                if columns[ci] == whole:
                    body.append(line)
                else:  # a row lacking some of the table's columns: its cells placed under their columns
                    cells = dict(zip(columns[ci], next(csv.reader([line]))))
                    body.append(_csv_line([cells.get(c, "") for c in order]))
        table_kinds: dict[str, set] = {c: set() for c in order}
        for i in seen_kinds:
            for c, k in kinds[i].items():
                table_kinds[c] |= k
        out_tables[key] = _Table(order, "".join(body), table_kinds)
    for key, rows in got.items():
        if key not in _KPI_TABLE_KEYS:
            # (tables(audit=False) keeps the audit's place, None: its table is the one kept)
            out_tables[key] = audit if key == "audit" and rows is None and audit is not None else _table_of(rows)
    tables_in_order = {key: out_tables[key] for key in got}
    made = tables_in_order.get("audit")
    keep_audit = {"audit": [deps.audit, made.columns, made.body, {c: "".join(sorted(k)) for c, k in made.kinds.items()}]
                  } if made is not None and deps.audit is not None else {}
    body = orjson.dumps({"columns": columns, "kinds": [{c: "".join(sorted(k)) for c, k in d.items()} for d in kinds],
                         "kpis": {str(k): pieces[k] for k in sorted(pieces)}, **keep_audit})
    head = json.dumps({"key": deps.data, "sha256": hashlib.sha256(body).hexdigest()})
    _replace(pieces_path, head.encode("utf-8") + b"\n" + body)
    return tables_in_order


def _kept_pieces(path: Path, key: str) -> dict:
    """The previous run's pieces when they are its own, whole and for the same data (key); else none, and every KPI's
    rows are read again. The file lies in a folder people can edit: rows changed by hand (the digest differs) or a
    shape this code did not write are never spliced into the data package."""
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        said = orjson.loads(head)
        if not isinstance(said, dict) or said.get("key") != key or \
                said.get("sha256") != hashlib.sha256(body).hexdigest():
            return {"columns": [], "kinds": [], "kpis": {}}
        with _uncollected():
            kept = orjson.loads(body)
    except (OSError, ValueError):
        return {"columns": [], "kinds": [], "kpis": {}}
    return kept if _well_formed(kept) else {"columns": [], "kinds": [], "kpis": {}}


def _well_formed(kept) -> bool:
    """The pieces' shape as _data_tables writes it, every index in range."""
    if not isinstance(kept, dict):
        return False
    columns, kinds, kpis = kept.get("columns"), kept.get("kinds"), kept.get("kpis")
    if not (isinstance(columns, list) and isinstance(kinds, list) and isinstance(kpis, dict)):
        return False
    if not all(isinstance(c, list) and all(isinstance(x, str) for x in c) for c in columns):
        return False
    if not all(isinstance(d, dict) and all(isinstance(v, str) for v in d.values()) for d in kinds):
        return False
    for piece in kpis.values():
        if not (isinstance(piece, list) and len(piece) == 2 and isinstance(piece[1], dict)):
            return False
        for entry in piece[1].values():
            if not (isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int
                    and 0 <= entry[0] < len(kinds) and isinstance(entry[1], list)):
                return False
            for line in entry[1]:
                if not (isinstance(line, list) and len(line) == 2 and type(line[0]) is int
                        and 0 <= line[0] < len(columns) and isinstance(line[1], str)):
                    return False
    audit = kept.get("audit")  # [the stored audit's name, its columns, its CSV lines, each column's kinds]
    if audit is not None and not (
            isinstance(audit, list) and len(audit) == 4 and isinstance(audit[0], str)
            and isinstance(audit[1], list) and all(isinstance(c, str) for c in audit[1]) and isinstance(audit[2], str)
            and isinstance(audit[3], dict) and set(audit[3]) == set(audit[1])
            and all(isinstance(k, str) for k in audit[3].values())):
        return False
    return True


def _replace(path: Path, text: str | bytes) -> None:
    """Write a file whole or not at all (a run killed while writing leaves the previous one): a new file, renamed."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    tmp.replace(path)


def _write_data(writer: _Writer, tables: dict[str, _Table | list[dict]], documents: list[dict]) -> list[str]:
    """data/<table>.csv, datapackage.json describing them, and data/mieruka-data.zip holding all of it."""
    resources, files = [], {}
    for key, table in tables.items():
        table = table if isinstance(table, _Table) else _table_of(table)
        columns = table.columns
        content = (_csv_line(columns) + table.body).encode("utf-8")
        files[f"data/{key}.csv"] = content
        ja, en = TABLE_TITLES.get(key, (key, key))
        resources.append({
            "name": key, "path": f"data/{key}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "title": f"{ja} / {en}",
            "schema": {"fields": [{"name": c, "type": _type_of_kinds(table.kinds[c]),
                                   "title": _describe(c)[0], "description": f"{_describe(c)[0]} / {_describe(c)[1]}",
                                   "descriptions": {"ja": _describe(c)[0], "en": _describe(c)[1]}}
                                  for c in columns]},
        })
    package = {
        "profile": "tabular-data-package",
        "name": "mieruka",
        "title": "見える化 mieruka: 改革工程表のKPI・評価・国の施策・先進事例 / KPIs, ratings, measures and cases",
        "description": "mierukaが政府の文書から読み取ったKPI、目標、実績、評価、国の施策、先進・優良事例。"
                       "各行に出典の文書と行がある。 / What mieruka read from the government's documents, each row "
                       "with the document and line it came from.",
        "licenses": _licences(documents),
        "sources": [{"title": d.get("title") or d["file_name"], "file_name": d["file_name"],
                     "date": _cell(d.get("doc_date")) or None, "sha256": d.get("sha256"),
                     "attribution": _licence(d)["attribution"], "path": _licence(d).get("origin"),
                     "licenses": [_package_licence(_licence(d))],
                     "terms": {k: _licence(d).get(k) for k in ("terms", "terms_en", "basis", "stated_by")}}
                    for d in documents],
        "resources": resources,
    }
    files["datapackage.json"] = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    for name, content in files.items():
        writer.write(name, content)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            z.writestr(zipfile.ZipInfo(name, _ZIP_TIME), files[name], zipfile.ZIP_DEFLATED)
    writer.write("data/mieruka-data.zip", buf.getvalue())
    return sorted(files) + ["data/mieruka-data.zip"]


def _edited(out: Path, previous: dict, present: set[str]) -> tuple[set[str], dict[str, list[int]]]:
    """The previous run's files that are no longer what it wrote (edited by hand): those whose size or modification
    time is not the one it recorded and whose content no longer gives its fingerprint (a PDF's is that of its source
    page, so a PDF touched at all counts as edited); and the size and time of the others, as found. A manifest that
    recorded no sizes (an older mieruka's) has nothing to compare with: its files are taken as they are."""
    stats = previous.get("stats")
    if not stats:
        return set(), {}
    edited, found = set(), {}
    base = str(out) + os.sep  # a string, not a Path a file: the stat is most of the cost (a site has 80,000 files)
    for name, fingerprint in previous.get("files", {}).items():
        if not fingerprint or name not in present:
            continue
        try:
            st = os.stat(base + name)
            recorded = stats.get(name)
            if type(recorded) is list and len(recorded) == 2 and recorded[0] == st.st_size \
                    and recorded[1] == st.st_mtime_ns:
                found[name] = recorded  # as it was (the list the manifest gave: none made a file)
                continue
            now = [st.st_size, st.st_mtime_ns]
            if name.endswith(".pdf") or _fingerprint(name, Path(base + name).read_bytes()) != fingerprint:
                edited.add(name)
            else:
                found[name] = now
        except (OSError, ValueError, zipfile.BadZipFile):  # unreadable, or a workbook no longer one
            edited.add(name)
    return edited, found


def _stats(out: Path, files: dict[str, str], previous: dict, found: dict[str, list[int]]) -> dict[str, list[int]]:
    """Size and modification time of each file written or kept, for the next run's _edited: a file found intact at
    the start whose fingerprint is the previous run's was not written again, so its size and time are those found."""
    before = previous.get("files", {})
    base = str(out) + os.sep
    stats = {}
    for name in sorted(files):
        kept = found.get(name)
        if kept is not None and files[name] == before.get(name):
            stats[name] = kept
            continue
        try:
            st = os.stat(base + name)
        except OSError:
            continue
        stats[name] = [st.st_size, st.st_mtime_ns]
    return stats


def _finish(out: Path, previous: dict, writer: _Writer, result: PublishResult, at: datetime) -> None:
    """Remove what the previous run wrote and this one did not, then record what is there now."""
    for name in previous.get("files", {}):
        if name not in writer.files:
            path = out / name
            if path.is_file():
                path.unlink()
                result.removed += 1
    if result.removed:
        for folder, _dirs, _files in os.walk(out, topdown=False):  # children first: a folder emptied by them goes
            if Path(folder) != out and not os.listdir(folder):
                os.rmdir(folder)
    result.files = len(writer.files)
    manifest = {"generator": GENERATOR, "generated_at": at.isoformat() if result.written or result.removed
                else previous.get("generated_at", at.isoformat()), "files": dict(sorted(writer.files.items())),
                "stats": _stats(out, writer.files, previous, getattr(writer, "found", {})), **writer.meta}
    # one line, by orjson: json's C encoder took 0.4 s for a manifest of 10,000 KPIs' pages (with indent, seconds)
    _replace(out / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_NON_STR_KEYS) + b"\n")
    (out / RUNNING).unlink(missing_ok=True)


def _routes(routes) -> list:
    """Every route, inside the routers FastAPI keeps whole when it includes them (no router of mieruka has a prefix)."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend(_routes(inner.routes) if inner is not None else [route])
    return found
