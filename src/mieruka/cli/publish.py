"""`mieruka publish DIR`: the whole site as static files any web server or CDN can serve (mieruka.publish.site)."""
from __future__ import annotations

import os
from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, app, end_without_teardown, err, fail, labelled


@app.command("publish")
def publish_cmd(
    out: Path = typer.Argument(..., help="Folder to write the site to: new, empty, or a previous publish output"),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Leave out the PDF reports (no Chromium needed)"),
    db: str = DbOption,
) -> None:
    """Write every public page (Japanese and English), download and JSON API answer as files, with a bulk ZIP and
    datapackage.json; a second run rewrites only what changed."""
    from contextlib import ExitStack

    from mieruka.publish.site import TargetRefused, check_target, target_lock

    missing = storage.missing_sqlite_file(db)
    if missing is not None:  # a mistyped --db would make an empty database and publish it over the site
        fail(f"no database file at {missing}: give the database to publish (--db) / {missing} にデータベースがありません")
    held = ExitStack()
    try:
        # held from the start: a second run on this folder is refused now, not after preparing the database
        held.enter_context(target_lock(out))
        check_target(out)
    except TargetRefused as exc:
        held.close()
        fail(str(exc))
    with held:
        _publish(out, no_pdf, db)


def _publish(out: Path, no_pdf: bool, db: str | None) -> None:
    from mieruka.export.workbook import database_tables
    from mieruka.publish.render import PdfUnavailable
    from mieruka.publish.site import TargetRefused, publish_site, unwritable
    from mieruka.storage.publishing import VersionReader
    from mieruka.storage.queries import document_rows
    from mieruka.web.app import create_app
    from mieruka.web.evaluation import site_date
    from mieruka.web.static_pages import KpiPages

    storage.ensure_schema(db)
    end_without_teardown()  # (whatever the run's end: what it opened is closed below)

    def tables(kpi_ids: list[int] | None = None, audit: bool = True) -> dict:  # read only when the data changed
        # the site's one evaluation date: its pages rate and audit as of the stored date the app chooses by default
        with storage.session_scope(db) as session:
            return database_tables(session, site_date(session), "ja", stored_audit=True, kpi_ids=kpi_ids, audit=audit)

    def documents() -> list:
        with storage.session_scope(db) as session:
            return document_rows(session)

    versions = VersionReader(db)  # read before and after the crawl: again only when something was written meanwhile
    pages = None
    stopped = True  # until the run returns: a Ctrl-C or an error ends the workers at once
    try:
        web = create_app(db)
        # each KPI's pages rendered by a process a core (the crawl, writing and the other pages stay here)
        pages = KpiPages(web, workers=os.cpu_count() or 1)
        result = publish_site(web, out, tables=tables, documents=documents, pdf=not no_pdf,
                              versions=versions, direct=pages, ahead=True)
        stopped = False
    except TargetRefused as exc:
        fail(str(exc))
    except OSError as exc:
        # a folder that could be locked but not written (full, read-only, a file's permissions): name it, no traceback
        if not _inside(exc.filename, out):
            raise
        fail(unwritable(out, exc))
    except PdfUnavailable as exc:
        fail(f"{exc} (or give --no-pdf)")
    finally:
        versions.close()
        if pages is not None:
            pages.close(abandon=stopped)
    err.print(f"{result.pages} pages, {result.files} files ({result.rendered} made again): {result.written} written, "
              f"{result.unchanged} unchanged, "
              f"{result.removed} removed in {result.seconds:.1f} s", highlight=False)
    for link in result.broken:
        err.print(labelled("error:", "bold red", f"the application answers {link} with an error; links to it will "
                                                 f"not work / {link} がエラーになるため、そこへのリンクは使えません"))
    print(out)
    if result.broken:  # a site with dead links is not a published site: say so to scripts too
        raise typer.Exit(1)


def _inside(name, folder: Path) -> bool:
    """Whether the file an OSError names is in FOLDER (the site's): another one (the database's) is not the site's."""
    if not name:
        return False
    try:
        return Path(os.fsdecode(name)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
