"""Evidence files on a report: attached and removed by the report's editors, kept raw with their sha256, bounded in
size and number, typed from their bytes, seen only by the report's editors, the secretariat and the administrator.
Each attachment and removal is a version row of the report (the history) and a security-log event."""
from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import zipfile
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mieruka.accounts import service as accounts
from mieruka.accounts.service import Principal, now
from mieruka.storage import report_extras as store
from mieruka.storage.cycle_models import Report, ReportVersion
from mieruka.storage.report_extra_models import ReportEvidence
from mieruka.workflow.reports import NotAllowed, WorkflowError, _check_edit

DEFAULT_MAX_BYTES = 10 * 2**20
MAX_FILES = 20  # per report

# Types a browser may be handed as they are (always as an attachment, with nosniff); anything else, HTML and SVG
# above all, goes out as application/octet-stream so that no browser renders it.
SERVED_AS = {"application/pdf": "application/pdf", "image/png": "image/png", "image/jpeg": "image/jpeg",
             "image/gif": "image/gif", "text/plain": "text/plain; charset=utf-8", "text/csv": "text/csv; charset=utf-8",
             "application/zip": "application/zip",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation":
                 "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
_OFFICE = {"xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
# What makes a text file something a browser could run: checked in the first 4 KB, case-insensitively.
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<iframe", b"<body", b"<head", b"<?xml", b"<object",
           b"<embed", b"<meta", b"<img", b"<a ", b"javascript:")


def max_bytes() -> int:
    """The size limit of one file: MIERUKA_EVIDENCE_MAX_BYTES, else 10 MB."""
    raw = os.environ.get("MIERUKA_EVIDENCE_MAX_BYTES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BYTES


class EvidenceRefused(WorkflowError):
    status = 422


class NoSuchEvidence(WorkflowError):
    status = 404  # nothing to remove: not a bad request about a file that exists


class TooLarge(EvidenceRefused):
    status = 413

    def __init__(self, limit: int):
        mb = f"{limit / 2**20:g}"
        super().__init__(f"ファイルが大きすぎます(上限 {mb} MB)。", f"The file is too large (at most {mb} MB).")


def sniff(raw: bytes) -> str:
    """The type the bytes are, whatever the file's name says."""
    head = raw[:4096]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return "application/octet-stream"
        for prefix, kind in _OFFICE.items():
            if any(n.startswith(prefix) for n in names):
                return kind
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"  # an old Excel or Word file
    lowered = head.lower().lstrip(b"\xef\xbb\xbf \t\r\n")
    if any(mark in lowered for mark in _MARKUP):
        return "text/html"
    if b"\x00" in head:
        return "application/octet-stream"
    for encoding in ("utf-8", "cp932"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4 and len(raw) > len(head):
                return "text/plain"  # cut through a character at 4 KB
            continue
        return "text/plain"
    return "application/octet-stream"


def served_type(content_type: str) -> str:
    return SERVED_AS.get(content_type, "application/octet-stream")


def clean_name(name: str | None) -> str:
    """The file's own name without any folder, control or format characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    name = name.lstrip(".") or "evidence"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name


def may_see(p: Principal | None, report: Report) -> bool:
    """The report's editors, the secretariat and the administrator."""
    return p is not None and (p.role in ("secretariat", "admin") or p.can_edit_org(report.organisation_id))


def listed(session: Session, report: Report) -> list[ReportEvidence]:
    return store.evidence_list(session, report.id)


def _version(session: Session, report: Report, p: Principal, via: str, action: str, old, new) -> None:
    """A history row at the report's current version: a file does not move the report's version, so an editor's
    open form is not made stale by someone attaching a file."""
    session.add(ReportVersion(report_id=report.id, version=report.version, at=now(), actor=p.login, via=via,
                              action=action, changes={"evidence": [old, new]}))


def _label(row: ReportEvidence) -> str:
    return f"{row.file_name} ({row.size_bytes:,} B, sha256 {row.sha256[:12]})"


@dataclass
class Attached:
    evidence: ReportEvidence
    new: bool


def attach(session: Session, p: Principal, report: Report, raw: bytes, file_name: str | None,
           via: str = "web", client: str | None = None) -> Attached:
    """Keep a file on the report. The same bytes twice on one report keep the first (nothing new is written)."""
    _check_edit(session, p, report)
    limit = max_bytes()
    if len(raw) > limit:
        raise TooLarge(limit)
    if not raw:
        raise EvidenceRefused("空のファイルは添付できません。", "The file is empty.")
    digest = hashlib.sha256(raw).hexdigest()
    same = store.evidence_by_digest(session, report.id, digest)
    if same is not None:
        return Attached(same, False)
    if store.evidence_count(session, report.id) >= MAX_FILES:
        raise EvidenceRefused(f"1件の報告に添付できるファイルは{MAX_FILES}件までです。",
                              f"A report holds at most {MAX_FILES} files.")
    row = store.add_evidence(session, ReportEvidence(
        report_id=report.id, file_name=clean_name(file_name), content_type=sniff(raw), size_bytes=len(raw),
        sha256=digest, raw=raw, uploaded_by=p.login, uploaded_at=now()))
    _version(session, report, p, via, "attach", None, _label(row))
    accounts.log(session, "evidence_add", p.login, f"report {report.id}", client, file=row.file_name,
                 sha256=digest, size=len(raw), content_type=row.content_type, via=via)
    session.flush()
    return Attached(row, True)


def remove(session: Session, p: Principal, report: Report, evidence_id: int, via: str = "web",
           client: str | None = None) -> ReportEvidence:
    _check_edit(session, p, report)
    row = store.evidence(session, report.id, evidence_id)
    if row is None:
        raise NoSuchEvidence(f"証拠資料 {evidence_id} はこの報告にありません。",
                             f"This report has no evidence file {evidence_id}.")
    label = _label(row)
    details = {"file": row.file_name, "sha256": row.sha256, "size": row.size_bytes}
    store.remove_evidence(session, row)
    _version(session, report, p, via, "detach", label, None)
    accounts.log(session, "evidence_remove", p.login, f"report {report.id}", client, via=via, **details)
    session.flush()
    return row


def fetch(session: Session, p: Principal | None, report: Report, evidence_id: int) -> ReportEvidence:
    if not may_see(p, report):
        raise NotAllowed("この証拠資料を見る権限がありません。", "You may not see this evidence file.")
    row = store.evidence(session, report.id, evidence_id)
    if row is None:
        raise NoSuchEvidence(f"証拠資料 {evidence_id} はありません。", f"There is no evidence file {evidence_id}.")
    return row
