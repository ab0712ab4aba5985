"""The terms a source document may be reused under, recorded with it at ingest: the terms the document prints, else
the declared default for publications of Japanese ministries, each record saying which of the two it is and why."""
from __future__ import annotations

import re

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
# What the default rests on: the ministries publish their web content under the Government of Japan Standard Terms
# of Use, whose version 2.0 (2015) states compatibility with CC BY 4.0. mieruka assumes it when a document prints
# no terms of its own; the record says so, so that a reader can check it document by document.
DEFAULT = {
    "terms": "政府標準利用規約（第2.0版）", "terms_en": "Government of Japan Standard Terms of Use (Version 2.0)",
    "name": "CC-BY-4.0", "path": CC_BY, "basis": "default",
    "stated_by": "mieruka の既定値（日本の府省庁の公表物）: 文書に利用条件の記載なし / mieruka's default for publications "
                 "of Japanese ministries: the document prints no terms of use",
}
# Terms a document may print: (pattern, record). The first that matches wins.
PRINTED = [
    (re.compile(r"政府標準利用規約\s*[（(]\s*第\s*2\.0\s*版\s*[）)]"),
     {"terms": "政府標準利用規約（第2.0版）", "terms_en": "Government of Japan Standard Terms of Use (Version 2.0)",
      "name": "CC-BY-4.0", "path": CC_BY}),
    (re.compile(r"政府標準利用規約\s*[（(]\s*第\s*1\.0\s*版\s*[）)]"),
     {"terms": "政府標準利用規約（第1.0版）", "terms_en": "Government of Japan Standard Terms of Use (Version 1.0)",
      "name": "other-attribution", "path": None}),
    (re.compile(r"CC[\s-]?BY\s*4\.0|クリエイティブ・?コモンズ.{0,12}表示\s*4\.0", re.I),
     {"terms": "クリエイティブ・コモンズ 表示 4.0 国際", "terms_en": "Creative Commons Attribution 4.0 International",
      "name": "CC-BY-4.0", "path": CC_BY}),
]


class BadOrigin(ValueError):
    """An origin that is not a web address a reader could follow."""


def check_origin(origin: str, files: int) -> str:
    """An http(s) URL of at most 2,000 characters, no spaces or control characters; a folder URL (ending in /) when
    it is given for more than one file, each file's name then following it."""
    import re

    if (len(origin) > 2000 or not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", origin)
            or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                   for c in origin)):
        raise BadOrigin(f"--origin must be an http:// or https:// address (at most 2,000 characters, no spaces): "
                        f"{origin[:80]!r} / --origin は http:// か https:// で始まるURLにしてください")
    if files > 1 and not origin.endswith("/"):
        raise BadOrigin(f"--origin for {files} files must be a folder address ending in / (each file's name follows it) "
                        f"/ 複数のファイルには / で終わるURLを指定してください（ファイル名を続けます）")
    return origin


def licence_of(text: str | None, title: str | None, file_name: str, issuer: str | None = None,
               origin: str | None = None) -> dict:
    """The record kept with a document: the terms (printed, with the line that prints them, or the declared
    default), the attribution those terms ask for, and where the document was taken from (origin, when known)."""
    record = None
    for number, line in enumerate((text or "").splitlines(), start=1):
        for pattern, terms in PRINTED:
            if pattern.search(line):
                record = {**terms, "basis": "printed", "stated_by": f"{file_name} {number}行: {line.strip()[:200]}"}
                break
        if record:
            break
    record = record or dict(DEFAULT)
    name = title or file_name
    record["attribution"] = (f"出典: 「{name}」" + (f"（{issuer}）" if issuer else "") +
                             "をもとに mieruka が読み取り、加工して作成")
    record["origin"] = origin
    return record


def recorded_or_default(record: dict | None, title: str | None, file_name: str) -> dict:
    """A document's stored record; for a document stored before records were kept, the default, saying so."""
    if record:
        return record
    out = licence_of(None, title, file_name)
    out["stated_by"] += " (取込時に記録なし / not recorded at ingest)"
    return out
