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


def _write(make, fmt: str, out: Path | None, db: str | None) -> None:
    from mieruka.publish.render import PdfUnavailable
    from mieruka.publish.reports import FORMATS, UnknownFormat
    from mieruka.publish.sources import UnknownReportSource

    if fmt not in FORMATS:
        fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)} / 形式は {', '.join(FORMATS)} のいずれか")
    if out is not None and out.is_dir():
        fail(f"{out} is a folder: give a file name with -o / -o にはファイル名を指定してください")
    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            report = make(session)
    except (UnknownReportSource, UnknownFormat, PdfUnavailable) as exc:
        fail(str(exc))
    path = out or Path(report.file_name)
    try:
        path.write_bytes(report.content)
    except OSError as exc:
        fail(f"{path}: cannot write ({exc.strerror})")
    err.print(f"{len(report.content):,} bytes", highlight=False)
    print(path)


@report_app.command("kpi-table")
def kpi_table_cmd(
    edition: str = typer.Option(..., "--edition", "-e", help="Edition year (2016), id or name, or a reform-schedule document's file name"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    computed: str = typer.Option(None, "--computed", help="Add mieruka's own rating under this scheme beside the official one"),
    db: str = DbOption,
) -> None:
    """The KPI status table (KPIの状況) of an edition in the reform schedule's layout."""
    from mieruka.publish.reports import kpi_table_report

    _write(lambda s: kpi_table_report(s, edition, fmt, computed_scheme=computed), fmt, out, db)


@report_app.command("policy")
def policy_cmd(
    policy: str = typer.Option(..., "--policy", "-p", help="The sheet's document id or file name, or the policy (政策8)"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    db: str = DbOption,
) -> None:
    """A policy evaluation sheet's indicator table (測定指標, 基準値, yearly targets and actuals, 達成区分)."""
    from mieruka.publish.reports import policy_report

    _write(lambda s: policy_report(s, policy, fmt), fmt, out, db)


@report_app.command("kpi-sheet")
def kpi_sheet_cmd(
    kpi: str = typer.Option(..., "--kpi", "-k", help="KPI id, key or name"),
    fmt: str = FormatOpt,
    out: Path = OutOpt,
    db: str = DbOption,
) -> None:
    """One A4 page for one KPI: chart, values, ratings with explanations, sources."""
    from mieruka.publish.reports import kpi_sheet_report

    _write(lambda s: kpi_sheet_report(s, kpi, fmt), fmt, out, db)
