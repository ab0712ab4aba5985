"""`mieruka report`: the official tables and the indicator sheet as print HTML, PDF or XLSX (mieruka.publish)."""
from __future__ import annotations

from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, app, err, fail

report_app = typer.Typer(help="Printable reports: the KPI status table, a policy's indicator table, a KPI's sheet.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

FormatOpt = typer.Option("html", "--format", "-f", help="html (print view), pdf or xlsx")
OutOpt = typer.Option(None, "--output", "-o", help="File to write (default: the report's own name in this folder)")
ReportLangOpt = typer.Option("ja", "--lang", help="ja (the documents' own words) or en (headings, notes, dates; the "
                             "documents' text stays as written)")


def _write(make, fmt: str, out: Path | None, db: str | None) -> None:
    from mieruka.publish.render import PdfUnavailable
    from mieruka.publish.reports import FORMATS, UnknownFormat
    from mieruka.publish.sources import UnknownReportSource

    if fmt not in FORMATS:
        fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)} / 形式は {', '.join(FORMATS)} のいずれか")
    _prepare(out, db)
    try:
        with storage.session_scope(db) as session:
            report = make(session)
    except (UnknownReportSource, UnknownFormat, PdfUnavailable) as exc:
        fail(str(exc))
    _save(report.content, out or Path(report.file_name), f"{len(report.content):,} bytes")


def _prepare(out: Path | None, db: str | None) -> None:
    """Refuse an output that is a folder, or a database file that is not there (a mistyped --db would be made, empty),
    before anything is made; make sure the database is ready to read."""
    missing = storage.missing_sqlite_file(db)
    if missing is not None:
        fail(f"no database file at {missing}: give the database to read (--db) / {missing} にデータベースがありません")
    if out is not None and out.is_dir():
        fail(f"{out} is a folder: give a file name with -o / -o にはファイル名を指定してください")
    storage.ensure_schema(db)


def _save(content: bytes, path: Path, said: str) -> None:
    """Write content to path, say on stderr what was written and print the path (what a script reads)."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        fail(f"{path}: cannot write ({exc.strerror})")
    err.print(said, highlight=False)
    print(path)


@report_app.command("kpi-table")
def kpi_table_cmd(
    edition: str = typer.Option(..., "--edition", "-e", help="Edition year (2016), id or name, or a reform-schedule document's file name"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    computed: str = typer.Option(None, "--computed", help="Add mieruka's own rating under this scheme beside the official one"),
    lang: str = ReportLangOpt,
    db: str = DbOption,
) -> None:
    """The KPI status table (KPIの状況) of an edition in the reform schedule's layout."""
    from mieruka.publish.reports import kpi_table_report

    _write(lambda s: kpi_table_report(s, edition, fmt, computed_scheme=computed, lang=lang), fmt, out, db)


@report_app.command("policy")
def policy_cmd(
    policy: str = typer.Option(..., "--policy", "-p", help="The sheet's document id or file name, or the policy (政策8)"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    lang: str = ReportLangOpt,
    db: str = DbOption,
) -> None:
    """A policy evaluation sheet's indicator table (測定指標, 基準値, yearly targets and actuals, 達成区分)."""
    from mieruka.publish.reports import policy_report

    _write(lambda s: policy_report(s, policy, fmt, lang=lang), fmt, out, db)


@report_app.command("kpi-sheet")
def kpi_sheet_cmd(
    kpi: str = typer.Option(..., "--kpi", "-k", help="KPI id, key or name"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    lang: str = ReportLangOpt,
    db: str = DbOption,
) -> None:
    """One A4 page for one KPI: chart, values, ratings with explanations, sources."""
    from mieruka.publish.reports import kpi_sheet_report

    _write(lambda s: kpi_sheet_report(s, kpi, fmt, lang=lang), fmt, out, db)


# ---- the reporting round's workbook: export to fill in, import back (mieruka.workflow.workbook)

ActingOpt = typer.Option(..., "--as", help="The login of the reporter or secretariat account this is done as")
LangOpt = typer.Option("ja", "--lang", help="ja or en: the workbook's headers and the error messages")


def _reporting_as(session, login: str):
    from mieruka.accounts.service import principal
    from mieruka.storage.accounts import user_by_login

    user = user_by_login(session, login)
    if user is None or not user.active:
        fail(f"--as: no active account {login!r}")
    if user.role not in ("reporter", "secretariat"):
        fail(f"--as: {login} is {user.role}; report workbooks are for reporters and the secretariat")
    return principal(session, user)


def _lang(lang: str) -> str:
    if lang not in ("ja", "en"):
        fail(f"--lang: {lang!r} is not ja or en")
    return lang


@report_app.command("export")
def export_cmd(
    round_ref: str = typer.Option(..., "--round", "-r", help="Round id or name"),
    org: str = typer.Option(None, "--org", help="One organisation (default: every one the account reports for)"),
    actor: str = ActingOpt,
    out: Path = OutOpt,
    lang: str = LangOpt,
    db: str = DbOption,
) -> None:
    """A round's report workbook (XLSX) to fill in: one row per KPI, the last published values beside the cells."""
    from mieruka.storage.workflow import organisation_id
    from mieruka.workflow import rounds, workbook

    def make(session):
        p = _reporting_as(session, actor)
        org_id = None
        if org:
            org_id = organisation_id(session, org)
            if org_id is None:
                fail(f"--org: there is no organisation {org!r}")
        return workbook.export(session, p, rounds.get(session, round_ref), org_id, lang)

    _write_workbook(make, out, db, lang, "report(s)")


def _write_workbook(make, out: Path | None, db: str | None, lang: str, counted: str) -> None:
    """A workbook to fill in (report or survey): the language and the output checked and the database made ready
    before make(session) is called; a workflow refusal told in the language asked; the file saved and said."""
    from mieruka.workflow.reports import WorkflowError

    lang = _lang(lang)
    _prepare(out, db)
    try:
        with storage.session_scope(db) as session:
            book = make(session)
    except WorkflowError as exc:
        fail(exc.message[lang])
    _save(book.content, out or Path(book.file_name), f"{book.rows} {counted}, {len(book.content):,} bytes")


@report_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="A workbook made by mieruka report export (or downloaded), filled in"),
    actor: str = ActingOpt,
    lang: str = LangOpt,
    db: str = DbOption,
) -> None:
    """Read a filled-in report workbook back: every cell is checked and every error named by sheet, row and column;
    nothing is saved unless every row is right; importing the same file again changes nothing."""
    from mieruka.workflow import workbook
    from mieruka.workflow.reports import LostRace, WorkflowError

    lang = _lang(lang)
    try:
        size = file.stat().st_size
        if size > workbook.MAX_BYTES:
            fail(f"{file}: {size:,} bytes; the limit is {workbook.MAX_BYTES // 2**20} MB")
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read ({exc.strerror})")
    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            done = workbook.import_workbook(session, _reporting_as(session, actor), raw, file.name, via="cli:xlsx")
            summary = (done.round.name, done.rows, len(done.saved), len(done.submitted), done.unchanged)
    except workbook.WorkbookRefused as exc:
        for line in exc.lines(lang):
            err.print(line, highlight=False, markup=False)
        fail(exc.message[lang])
    except LostRace:
        fail("a report was saved by someone else during the import; nothing was saved: import again"
             if lang == "en" else "取り込みの間に報告がほかの人に保存されました。何も保存していません。"
                                  "もう一度取り込んでください。")
    except WorkflowError as exc:
        fail(exc.message[lang])
    name, rows, saved, submitted, unchanged = summary
    print(f"{name}: {rows} row(s) read, {saved} saved, {submitted} submitted, {unchanged} unchanged")
