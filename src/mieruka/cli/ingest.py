"""Commands that load documents and list what was extracted: ingest, kpis, measures, cases, documents, sample."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, err, fail, labelled
from mieruka.evaluate.explain import num
from mieruka.export.formats import Format, print_rows, to_json
from mieruka.jp import format_period_ja, format_yen, point_end

sample_app = typer.Typer(help="The bundled sample dataset: build it from documents, load it.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")


@app.command("ingest")
def ingest_cmd(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.txt .tsv .md .html .pdf .xlsx)"),
    family: str = typer.Option(None, "--family", help="Skip detection: reform-schedule, policy-evaluation, measure-catalogue, platform-presentation"),
    origin: str = typer.Option(None, "--origin", help="Where the documents were taken from (an http(s) URL; for several "
                               "files a folder URL ending in /, each file's name follows it): kept with their terms, "
                               "shown in datapackage.json"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Read documents into the database, one transaction per document, and report what was found."""
    from mieruka.ingest.sources import expand_paths
    from mieruka.loading.documents import ingest_paths
    from mieruka.records.licence import BadOrigin, check_origin

    if origin is not None:
        try:
            check_origin(origin, len(expand_paths(paths)))
        except BadOrigin as exc:
            fail(str(exc), code=2)
    reports = ingest_paths(paths, db, family, progress=_progress, origin=origin)
    if not reports:
        fail(f"no supported files found in {', '.join(map(str, paths))}")
    if any(r.status == "loaded" for r in reports):
        from mieruka.cli.evaluate import refresh_stored

        refresh_stored(db)
    if fmt is Format.json:
        print(to_json([r.to_dict() for r in reports]))
    else:
        rows = [_report_row(r) for r in reports]
        print_rows(rows, fmt, table_columns=["file", "status", "family", "items", "kpis", "observations", "measures", "cases", "unplaced", "seconds", "error"])
    total = sum(r.cpu_seconds for r in reports)
    err.print(f"{len(reports)} file(s), {sum(r.status == 'loaded' for r in reports)} loaded, "
              f"{sum(r.status == 'unchanged' for r in reports)} unchanged, {sum(r.status == 'error' for r in reports)} failed; "
              f"{total:.3f} s CPU", highlight=False)
    for r in reports:
        if r.status == "error":
            err.print(labelled("error:", "red", f"{r.file}: {r.error}"))
    if any(r.status == "error" for r in reports):
        raise typer.Exit(1)


def _progress(files, total):
    """A progress bar on the terminal for runs of several files; silent in pipes and logs."""
    if total < 2 or not err.is_terminal:
        return files
    from rich.progress import track

    return track(files, total=total, description="ingesting", console=err, transient=True)


def _report_row(r) -> dict:
    c = r.counts
    return {"file": Path(r.file).name, "status": r.status, "family": r.family, "items": c.get("items"),
            "kpis": c.get("kpis"), "observations": c.get("observations"), "measures": c.get("measures"),
            "cases": c.get("cases"), "unplaced": c.get("unplaced"), "seconds": r.seconds, "error": r.error}


def _rows(query, db):
    storage.ensure_schema(db)
    with storage.session_scope(db) as s:
        return query(s)


AsOfOption = typer.Option(None, "--as-of", help="Evaluation date, e.g. 2019-03-31: published ratings dated by then and "
                                                "mieruka's ratings stored as of it (default: every stored rating)")


@app.command("kpis")
def kpis_cmd(as_of: str = AsOfOption, db: str = DbOption, fmt: Format = FormatOption) -> None:
    """List every canonical KPI with its baseline, targets, observations, ratings (published, and mieruka's
    recomputation) and documents."""
    from mieruka.export.shapes import kpi_listing
    from mieruka.storage.queries import kpi_rows

    when = _evaluation_date(as_of) if as_of else None
    if fmt is Format.csv:  # the columns of the web's /kpis.csv: one flat row per KPI, no JSON in a cell
        from mieruka.storage.summaries import KpiQuery, iter_kpi_rows
        from mieruka.web.listings import KPI_COLUMNS

        print_rows(_rows(lambda s: list(iter_kpi_rows(s, KpiQuery(as_of=when))), db), fmt, columns=KPI_COLUMNS)
        return
    kpis = _rows(kpi_rows, db)
    if when:
        kpis = _as_of_ratings(kpis, when, db)
    rows = kpi_listing(kpis)
    if fmt is Format.table:
        rows = [_kpi_line(k) for k in rows]
    print_rows(rows, fmt, table_columns=["id", "tier", "name", "baseline", "target", "actual", "ratings", "documents"])


@app.command("measures")
def measures_cmd(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """List the national measures for municipal plans."""
    from mieruka.export.shapes import measure_listing
    from mieruka.storage.queries import measure_rows

    if fmt is Format.csv:  # the columns of the web's /measures.csv
        from mieruka.web.listings import MEASURE_COLUMNS, measure_flat

        from mieruka.storage.queries import document_labels

        measures, labels = _rows(lambda s: (measure_rows(s), document_labels(s)), db)
        print_rows([measure_flat(m, labels) for m in measures], fmt, columns=MEASURE_COLUMNS)
        return
    rows = measure_listing(_rows(measure_rows, db))
    if fmt is Format.table:
        rows = [_measure_line(m) for m in rows]
    print_rows(rows, fmt, table_columns=["no", "code", "name", "pillar", "timing", "effects", "ministries"])


@app.command("cases")
def cases_cmd(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """List the advanced cases (先進・優良事例) with their effects."""
    from mieruka.export.shapes import case_listing
    from mieruka.storage.queries import case_rows

    if fmt is Format.csv:  # the columns of the web's /cases.csv: one row per effect
        from mieruka.web.listings import CASE_COLUMNS, case_effect_rows

        from mieruka.storage.queries import document_labels

        cases, labels = _rows(lambda s: (case_rows(s), document_labels(s)), db)
        print_rows([r for c in cases for r in case_effect_rows(c, labels)], fmt, columns=CASE_COLUMNS)
        return
    rows = case_listing(_rows(case_rows, db))
    if fmt is Format.table:
        rows = [_case_line(c) for c in rows]
    print_rows(rows, fmt, table_columns=["municipalities", "theme", "effects"])


@app.command("documents")
def documents_cmd(
    db: str = DbOption,
    fmt: Format = FormatOption,
    save: Path = typer.Option(None, "--save", help="Also write every document's original bytes into this folder"),
) -> None:
    """List the ingested documents with family, sha256 and counts; --save gives back the files as ingested."""
    from mieruka.storage.queries import document_original, document_rows

    rows = _rows(document_rows, db)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        with storage.session_scope(db) as session:
            for row in rows:
                doc = document_original(session, row["id"])
                # two documents may share a file name (a revised edition): the id keeps both
                target = save / f"{doc['id']:04d}_{Path(doc['file_name']).name}"
                target.write_bytes(doc["raw"])
                row["saved_as"] = str(target)
        err.print(f"saved {len(rows)} document(s) in {save}", highlight=False)
    if fmt is Format.csv:  # the columns of the web's /documents.csv
        from mieruka.web.listings import DOCUMENT_COLUMNS, document_flat

        print_rows([document_flat(d) for d in rows], fmt, columns=DOCUMENT_COLUMNS)
        return
    print_rows(rows, fmt, table_columns=["id", "file_name", "family", "title", "doc_date", "sha256", "counts"])


# The catalogue's four expected-effect columns, in its order.
EFFECT_WORDS = {"efficiency": "行政の効率化", "economy": "地域の活性化", "convenience": "住民の利便性",
                "safety": "安全・安心"}


def _when(row: dict) -> str:
    """A value's point in time as the document gave it: 「2014年度:208団体」 → 2014年度（平成26年度）, not its 31 March."""
    d = row.get("as_of")
    if not d:
        return ""
    precision = row.get("as_of_precision")
    return f" {format_period_ja(d, precision, point_end(precision, row.get('text') or '', d))}"


def _kpi_line(k: dict) -> dict:
    """One terminal line per KPI: the figures a reader looks for, not the nested lists (json and csv keep those)."""
    unit = k["unit"]
    b = k["baseline"]
    finals = [t for t in k["targets"] if not t["interim"]] or k["targets"]
    latest = max(finals, key=lambda t: (t["deadline"] is not None, t["deadline"] or date.min), default=None)
    valued = [o for o in k["observations"] if o["value"] is not None]
    # the latest actual; a printed 見込み only when there is no actual at all
    actual = max([o for o in valued if o["status"] != "forecast"] or valued,
                 key=lambda o: (o["as_of"] is not None, o["as_of"] or date.min), default=None)
    status = {"preliminary": "（速報値）", "final": "（確報値）", "forecast": "（見込み）"}
    return {
        "id": k["id"], "tier": k["tier"], "name": k["name"],
        "baseline": f"{num(b['value'], unit)}{_when(b)}" if b and b["value"] is not None else "",
        "target": (f"{latest['text']}" + (f" ほか{len(k['targets']) - 1}件" if len(k["targets"]) > 1 else ""))
        if latest else "",
        "actual": f"{num(actual['value'], actual['unit'] or unit)}{_when(actual)}"
                  f"{status.get(actual['status'], '')}" if actual else "",
        "ratings": " ".join(_rating_mark(r) for r in _newest_computed(k["ratings"])),
        "documents": " ".join(d[:3] for d in k["documents"]),
    }


def _newest_computed(ratings: list[dict]) -> list[dict]:
    """The published ratings, and each scheme's computed rating of its newest stored date only: ratings are kept for
    several evaluation dates (editions', rounds', each `evaluate --as-of`), and a line of undated marks would mix them
    (`--as-of` picks another date)."""
    newest: dict[str, date] = {}
    for r in ratings:
        if not r["official"] and r.get("as_of") is not None:
            newest[r["scheme"]] = max(newest.get(r["scheme"], r["as_of"]), r["as_of"])
    return [r for r in ratings if r["official"] or r.get("as_of") == newest.get(r["scheme"])]


def _rating_mark(r: dict) -> str:
    """A published rating says so and cites its document and line (公表A(000:12)); mieruka's recomputation, stored by
    `mieruka evaluate`, has no source and names its scheme instead (再計算A[municipal-sabc])."""
    src = r["source"]
    if not r["official"] or src is None:
        return f"{'公表' if r['official'] else '再計算'}{r['code']}[{r['scheme']}]"
    return f"公表{r['code']}({src['document'][:3]}" + (f":{src['line']})" if src.get("line") else ")")


def _evaluation_date(text: str) -> date:
    from mieruka.cli.evaluate import _as_of

    return _as_of(text)


def _as_of_ratings(kpis: list[dict], when: date, db) -> list[dict]:
    """The KPIs with the ratings of one evaluation date, as the pages show them: published ones dated by then (or
    undated), computed ones made as of it. Nothing is rated here: when no computed rating is stored as of that date,
    say which dates are stored."""
    from mieruka.evaluate.stored import stored_dates

    with storage.session_scope(db) as s:
        stored = stored_dates(s)
    if not any(d["as_of"] == when and d["ratings"] for d in stored):
        dates = ", ".join(d["as_of"].isoformat() for d in stored if d["ratings"]) or "none"
        err.print(f"note: no rating of mieruka's is stored as of {when.isoformat()} (stored: {dates}); only published "
                  f"ratings are listed. `mieruka evaluate --scheme NAME --as-of {when.isoformat()}` stores them.",
                  highlight=False)
    keep = lambda r: (r["as_of"] is None or r["as_of"] <= when) if r["official"] else r["as_of"] == when  # noqa: E731
    return [{**k, "ratings": [r for r in k["ratings"] if keep(r)]} for k in kpis]


def _measure_line(m: dict) -> dict:
    return {**m, "effects": "・".join(EFFECT_WORDS[k] for k, on in m["effects"].items() if on),
            "ministries": "、".join(("◎" if x["lead"] else "") + x["name"] for x in m["ministries"])}


def _case_line(c: dict) -> dict:
    return {**c, "municipalities": "、".join(c["municipalities"]),
            "effects": " / ".join(_effect(e) for e in c["effects"])}


def _effect(e: dict) -> str:
    parts = [format_yen(e["amount_yen"]) if e["amount_yen"] is not None else "",
             f"{'▲' if e['change_percent'] < 0 else '+'}{abs(e['change_percent']):g}%" if e["change_percent"] is not None
             else "", f"{e['period_years']:g}年間" if e["period_years"] is not None else ""]
    return " ".join(p for p in parts if p) or e["text"]


@sample_app.command("build")
def sample_build(
    seeds: Path = typer.Argument(..., help="Folder of documents to extract the sample from"),
    out: Path = typer.Option(None, "--out", help="Where to write (default: the file inside the package)"),
) -> None:
    """Extract facts and figures from documents into the bundled sample data file."""
    from mieruka.ingest.sample import SAMPLE_PATH, build_sample

    target = out or SAMPLE_PATH
    summary = build_sample(seeds, target)
    print(f"wrote {target}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@sample_app.command("load")
def sample_load(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """Load the bundled sample dataset into the database."""
    from mieruka.loading.sample import load_sample

    reports = load_sample(db)
    print_rows([_report_row(r) for r in reports], fmt)
    if any(r.status == "error" for r in reports):
        raise typer.Exit(1)
