"""`mieruka report attach|evidence|detach`: evidence files on a report from the shell, acting as a reporter or the
secretariat (--as); each attachment and removal is in the report's history (via = cli) and the security log."""
from __future__ import annotations

from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, fail
from mieruka.cli.report import ActingOpt, report_app
from mieruka.export.formats import Format, print_rows

MAX_ID = 2**31 - 1  # row ids are INTEGER columns (32-bit on PostgreSQL): a larger one is a usage error, not a query


def _run(db: str | None, login: str, report_id: int, action):
    from mieruka.accounts.service import principal
    from mieruka.storage.accounts import user_by_login
    from mieruka.storage.workflow import report
    from mieruka.workflow.reports import WorkflowError

    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            user = user_by_login(session, login)
            if user is None or not user.active:
                fail(f"--as: no active account {login!r}")
            found = report(session, report_id)
            if found is None:
                fail(f"report {report_id}: no such report / 報告 {report_id} はありません")
            return action(session, principal(session, user), found)
    except WorkflowError as exc:
        fail(f"report {report_id}: {exc.message['en']} / {exc.message['ja']}")


@report_app.command("attach")
def attach_cmd(report_id: int = typer.Argument(..., help="The report's id", min=1, max=MAX_ID),
               file: Path = typer.Argument(..., help="The evidence file (at most MIERUKA_EVIDENCE_MAX_BYTES, 10 MB)"),
               actor: str = ActingOpt, db: str = DbOption) -> None:
    """Attach an evidence file to a report (kept raw with its sha256; never published)."""
    from mieruka.workflow import evidence

    if not file.is_file():
        fail(f"{file}: not a file / ファイルがありません")
    size, limit = file.stat().st_size, evidence.max_bytes()
    if size > limit:  # refused before the file is read
        fail(f"{file}: {size:,} bytes, more than the limit of {limit:,} / 上限 {limit:,} バイトを超えています")
    raw = file.read_bytes()
    done = _run(db, actor, report_id, lambda s, p, r: evidence.attach(s, p, r, raw, file.name, via="cli"))
    e = done.evidence
    verb = "attached" if done.new else "already attached (same content)"
    print(f"{verb}: evidence {e.id} {e.file_name} ({e.content_type}, {e.size_bytes:,} bytes, sha256 {e.sha256})")


@report_app.command("evidence")
def evidence_cmd(report_id: int = typer.Argument(..., help="The report's id", min=1, max=MAX_ID), actor: str = ActingOpt,
                 fmt: Format = FormatOption, db: str = DbOption) -> None:
    """The evidence files of a report (for its editors, the secretariat and the administrator)."""
    from mieruka.workflow import evidence
    from mieruka.workflow.reports import NotAllowed

    def listing(s, p, r):
        if not evidence.may_see(p, r):
            raise NotAllowed("この証拠資料を見る権限がありません。", "You may not see this report's evidence files.")
        return [{"id": e.id, "file_name": e.file_name, "content_type": e.content_type, "size_bytes": e.size_bytes,
                 "sha256": e.sha256, "uploaded_by": e.uploaded_by, "uploaded_at": e.uploaded_at.isoformat()}
                for e in evidence.listed(s, r)]

    print_rows(_run(db, actor, report_id, listing), fmt)


@report_app.command("detach")
def detach_cmd(report_id: int = typer.Argument(..., help="The report's id", min=1, max=MAX_ID),
               evidence_id: int = typer.Argument(..., help="The evidence file's id (mieruka report evidence)", min=1,
                                                 max=MAX_ID),
               actor: str = ActingOpt, db: str = DbOption) -> None:
    """Remove an evidence file from a report (the history keeps its name and sha256)."""
    from mieruka.workflow import evidence

    gone = _run(db, actor, report_id, lambda s, p, r: evidence.remove(s, p, r, evidence_id, via="cli"))
    print(f"removed evidence {evidence_id} {gone.file_name} (sha256 {gone.sha256})")
