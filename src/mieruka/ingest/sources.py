"""Turn a file the user gave us into (raw bytes, decoded text): text in any Japanese encoding, HTML, PDF, XLSX.
Every failure is an UnreadableDocument naming the file and the reason."""
from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024
# What one document may expand to, whatever its size on disk: a 1.5 MB XLSX can unzip to 1.5 GB, a PDF can hold
# thousands of pages. The seeds are far inside these (the largest is a 1 MB text of 9,000 lines).
MAX_TEXT_CHARS = 20_000_000
MAX_PDF_PAGES = 2_000
MAX_XLSX_EXPANDED = 200 * 1024 * 1024  # bytes of all the workbook's parts once unzipped
MAX_XLSX_RATIO = 100  # expanded / compressed, for a part over 10 MB: text and XML compress 5 to 20 times
MAX_XLSX_CELLS = 2_000_000
TEXT_SUFFIXES = {".txt", ".tsv", ".md", ".csv", ".html", ".htm", ""}
SUFFIXES = TEXT_SUFFIXES | {".pdf", ".xlsx"}


class UnreadableDocument(Exception):
    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class DecodedDocument:
    path: Path
    raw: bytes
    text: str
    encoding: str
    media_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def read_document(path: str | Path) -> DecodedDocument:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:  # refused before it is read into memory
            raise UnreadableDocument(path, f"the file is {size / 1e6:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(path, f"cannot open: {exc.strerror or exc}") from exc
    return decode_document(path, raw)


def decode_document(path: Path, raw: bytes) -> DecodedDocument:
    suffix = path.suffix.lower()
    if not raw:
        raise UnreadableDocument(path, "the file is empty")
    if not raw.strip():
        raise UnreadableDocument(path, NO_TEXT)
    if len(raw) > MAX_BYTES:
        raise UnreadableDocument(path, f"the file is {len(raw) / 1e6:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
    if suffix == ".pdf" or raw.startswith(b"%PDF"):
        return DecodedDocument(path, raw, _pdf_text(path, raw), "pdf", "application/pdf")
    if suffix == ".xlsx" or raw.startswith(b"PK\x03\x04"):
        return DecodedDocument(path, raw, _xlsx_text(path, raw), "xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if suffix not in TEXT_SUFFIXES:
        raise UnreadableDocument(path, f"unsupported file type {suffix!r} (supported: {', '.join(sorted(s for s in SUFFIXES if s))})")
    text, encoding = decode_text(path, raw)
    if len(text) > MAX_TEXT_CHARS:
        raise UnreadableDocument(path, _too_much_text(f"its {text.count(chr(10)) + 1:,} lines"))
    media_type = "text/plain"
    if suffix in (".html", ".htm") or re.match(r"\s*<(!doctype|html)", text[:200], re.I):
        text, media_type = html_to_text(text), "text/html"
    if not text.strip():
        raise UnreadableDocument(path, NO_TEXT)
    return DecodedDocument(path, raw, text, encoding, media_type)


NO_TEXT = "the file is empty: it holds only whitespace or a byte-order mark"
# Bytes that are UTF-8 but for a few invalid sequences are a damaged UTF-8 file. Shift_JIS, EUC-JP
# and random bytes read as UTF-8 give fewer than one valid multi-byte character per two invalid
# sequences; a UTF-8 file with stray bytes gives many per invalid one. This ratio lies between.
_VALID_PER_INVALID_UTF8 = 3


def decode_text(path: Path, raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) and UTF-16 by their marks, ISO-2022-JP by its escapes, then
    charset-normalizer for CP932 and EUC-JP.

    A UTF-8 file with a stray invalid byte, or cut off inside a character, is rejected, naming the
    byte offset and line, rather than decoded with replacement characters (a figure could silently
    lose a digit) or handed to the legacy-encoding detector (which would misread it as mojibake)."""
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return _normalise_newlines(raw[len(codecs.BOM_UTF8):].decode("utf-8")), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _broken_utf8(path, raw, exc, start=len(codecs.BOM_UTF8)) from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _normalise_newlines(_utf16(path, raw)), "utf-16"
    if b"\x1b$" in raw[:8192] and raw.isascii():
        return _normalise_newlines(_iso2022(path, raw)), "iso2022_jp_ext"
    try:
        return _normalise_newlines(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if b"\x00" in raw[:8192]:
        raise UnreadableDocument(path, "binary data, not text (NUL bytes; UTF-16 text needs its byte-order mark)")
    if _cut_off(utf8_error, len(raw)) or _mostly_utf8(raw):
        raise _broken_utf8(path, raw, utf8_error) from utf8_error
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=["cp932", "shift_jis", "euc_jp", "iso2022_jp", "utf_16"]).best()
    if best is None or best.chaos > 0.3:
        raise UnreadableDocument(path, "cannot detect the text encoding (not UTF-8, UTF-16, CP932/Shift_JIS or "
                                       "EUC-JP)" + _cp932_hint(raw))
    return _normalise_newlines(str(best)), best.encoding


def _line_of(raw: bytes, offset: int) -> int:
    """1-based line of a byte offset in an ASCII-compatible encoding (no multi-byte character holds 0x0A)."""
    return raw.count(b"\n", 0, offset) + 1


def _cut_off(exc: UnicodeDecodeError, size: int) -> bool:
    """The first (so the only) invalid sequence is a character the end of the file cuts short."""
    return exc.reason == "unexpected end of data" and exc.end == size


def _mostly_utf8(raw: bytes) -> bool:
    text = raw.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid_multibyte = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return valid_multibyte >= _VALID_PER_INVALID_UTF8 * invalid


def _broken_utf8(path: Path, raw: bytes, exc: UnicodeDecodeError, start: int = 0) -> UnreadableDocument:
    """The reason for rejecting UTF-8 text; *start* is where the decoded bytes began (after a BOM)."""
    at = start + exc.start
    where = f"byte {at} (line {_line_of(raw, at)})"
    if _cut_off(exc, len(raw) - start):
        return UnreadableDocument(path, f"the UTF-8 text ends in the middle of a character at {where}: "
                                        "the file looks truncated")
    # For a broken continuation the offending byte is the one after the sequence's start.
    shown = raw[at:start + exc.end + (exc.reason == "invalid continuation byte")].hex(" ").upper()
    basis = "the file starts with a UTF-8 byte-order mark" if start else "the rest of the file is UTF-8"
    return UnreadableDocument(path, f"invalid UTF-8 at {where}: {exc.reason} in {shown}; {basis}, so it was "
                                    "not read as another encoding: fix or remove that byte")


def _utf16(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].decode("utf-16", errors="replace").count("\n") + 1
        truncated = " (odd number of bytes: the file looks truncated)" if exc.reason == "truncated data" else ""
        raise UnreadableDocument(path, f"broken UTF-16 text at byte {exc.start} (line {line}): "
                                       f"{exc.reason}{truncated}") from exc


def _iso2022(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("iso2022_jp_ext")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(path, f"broken ISO-2022-JP text at byte {exc.start} "
                                       f"(line {_line_of(raw, exc.start)}): {exc.reason}") from exc


def _cp932_hint(raw: bytes) -> str:
    """Where the bytes stop being CP932, the usual encoding of Japanese office files."""
    try:
        raw.decode("cp932")
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start} (line {_line_of(raw, exc.start)})"
        if exc.end == len(raw) and exc.reason == "incomplete multibyte sequence":
            return f"; read as CP932 it ends in the middle of a character at {where}: the file looks truncated"
        return f"; read as CP932 the first invalid byte is 0x{raw[exc.start]:02X} at {where}"
    return ""


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _HTMLText:
    """Tables become tab-separated rows, block elements become lines."""

    # Every pattern stops at the next "<": "[^>]*" would scan to the end of the file from each "<" that has no
    # ">" after it, and a file of 40,000 of them took minutes.
    BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|section|article|header|footer)\b[^<>]*>", re.I)
    OPEN_RAW = re.compile(r"<(script|style)\b", re.I)

    @classmethod
    def convert(cls, markup: str) -> str:
        markup = cls._drop_raw_text(markup)
        markup = re.sub(r"(?i)</t[dh]>\s*<t[dh][^<>]*>", "\t", markup)
        markup = re.sub(r"(?i)</tr>", "\n", markup)
        markup = cls.BLOCK.sub("\n", markup)
        # An entity can write a carriage return (&#13;); lines end in "\n" only, as for plain text.
        text = _normalise_newlines(html.unescape(re.sub(r"<[^<>]*>", "", markup)))
        lines = [line.strip(" ") for line in text.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


    @classmethod
    def _drop_raw_text(cls, markup: str) -> str:
        """<script> and <style> elements removed in one pass; an unclosed one runs to the end, as in a browser."""
        kept, pos = [], 0
        while (m := cls.OPEN_RAW.search(markup, pos)) is not None:
            kept.append(markup[pos:m.start()])
            end = re.compile(f"</{m.group(1)}", re.I).search(markup, m.end())
            if end is None:
                return "".join(kept)
            close = markup.find(">", end.end())
            pos = len(markup) if close < 0 else close + 1
        kept.append(markup[pos:])
        return "".join(kept)


def html_to_text(markup: str) -> str:
    return _HTMLText.convert(markup)


def _looks_like(raw: bytes) -> str:
    """What a file that is not a PDF seems to be, from its first bytes, for the message that refuses it."""
    head = raw[:4096]
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive, such as an XLSX or DOCX file"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if not head.strip():
        return "empty"
    for encoding in ("utf-8", "cp932"):
        try:  # incremental: a character the 4 KiB cut in two is not an error
            decoded = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if sum(c.isprintable() or c in "\r\n\t" for c in decoded) >= 0.95 * len(decoded):
            return "text"
    return "some other binary file"


def _pdf_text(path: Path, raw: bytes) -> str:
    import pdfplumber

    from mieruka.ingest.readers import published_table

    # The PDF header may follow up to 1 KiB of other bytes; a file without it is something else named .pdf.
    if b"%PDF-" not in raw[:1024]:
        raise UnreadableDocument(path, f"not a PDF (it looks like {_looks_like(raw)})")
    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise UnreadableDocument(path, f"the PDF has {len(pdf.pages):,} pages; the limit is {MAX_PDF_PAGES:,}")
            pages, size = [], 0
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                size += len(pages[-1])
                page.close()  # pdfplumber keeps every page's objects until closed
                if size > MAX_TEXT_CHARS:
                    raise UnreadableDocument(path, _too_much_text(f"the first {len(pages):,} pages"))
            if published_table.is_published_table("\n".join(pages)):
                # mieruka's own KPI status table: its ruled tables as the tab-separated rows its XLSX gives
                pages = published_table.pdf_lines(pdf)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pdfminer raises many kinds on truncated or corrupt files
        raise UnreadableDocument(path, f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise UnreadableDocument(path, "the PDF has no text layer (scanned image?); OCR it first")
    return _normalise_newlines(text) + "\n"


def _too_much_text(where: str) -> str:
    return f"{where} hold more than {MAX_TEXT_CHARS:,} characters of text; the limit is {MAX_TEXT_CHARS:,}"


class XlsxTooLarge(ValueError):
    """A workbook that expands past the limits: the message says by how much."""


def check_xlsx_size(raw: bytes, max_expanded: int = MAX_XLSX_EXPANDED, max_ratio: int = MAX_XLSX_RATIO) -> None:
    """Refuse a workbook whose parts unzip to more than max_expanded bytes, or one part of which expands more than
    max_ratio times (a zip bomb), before anything is decompressed: the sizes come from the zip directory, and
    Python's zip reader stops each part at its stated size. Not a zip at all is left to the workbook reader."""
    import zipfile

    try:
        parts = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    expanded = sum(p.file_size for p in parts)
    if expanded > max_expanded:
        raise XlsxTooLarge(f"the workbook unzips to {expanded / 2**20:,.0f} MB; the limit is {max_expanded / 2**20:,.0f} MB")
    for p in parts:
        if p.file_size > 10 * 2**20 and p.file_size > max_ratio * max(p.compress_size, 1):
            raise XlsxTooLarge(f"its part {p.filename} expands {p.file_size / max(p.compress_size, 1):,.0f} times "
                               f"({p.compress_size / 2**20:,.1f} MB to {p.file_size / 2**20:,.0f} MB), a zip bomb; "
                               f"the limit is {max_ratio} times")


def _xlsx_text(path: Path, raw: bytes) -> str:
    """Each sheet becomes tab-separated rows, so the text readers see the same layout as a TSV export."""
    from openpyxl import load_workbook

    try:
        check_xlsx_size(raw)
    except XlsxTooLarge as exc:
        raise UnreadableDocument(path, str(exc)) from exc
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            lines = _sheet_lines(wb, path)
        finally:
            wb.close()
    except UnreadableDocument:
        raise
    except Exception as exc:  # read-only sheets are unzipped and parsed row by row: damage shows up here too
        raise UnreadableDocument(path, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    if not any(lines):
        raise UnreadableDocument(path, "the workbook has no cells with values")
    return "\n".join(lines)


def _sheet_lines(wb, path: Path) -> list[str]:
    lines: list[str] = []
    cells_seen = chars = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells_seen += len(row)
            if cells_seen > MAX_XLSX_CELLS:
                raise UnreadableDocument(path, f"the workbook has more than {MAX_XLSX_CELLS:,} cells (sheet {ws.title}, "
                                               f"row {len(lines) + 1:,} of the text); the limit is {MAX_XLSX_CELLS:,}")
            cells = ["" if v is None else re.sub(r"[\r\n\t]", " ", str(v)) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            lines.append("\t".join(cells))
            chars += len(lines[-1]) + 1
            if chars > MAX_TEXT_CHARS:
                raise UnreadableDocument(path, _too_much_text("the workbook's cells"))
        lines.append("")
    return lines


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Folders expand to the supported files inside them, sorted; files are kept as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES and not f.name.startswith(".")))
        else:
            out.append(p)
    return out
