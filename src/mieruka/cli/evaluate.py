"""Commands that rate, audit and list rating schemes: evaluate, audit, schemes.
Thin wrappers over mieruka.evaluate; computed ratings are stored beside the official ones."""
from __future__ import annotations

from collections import Counter
from datetime import date
from enum import Enum
from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, err, fail
from mieruka.export.formats import Format, print_rows, stream_rows
from mieruka.export.shapes import cited, cited_files, labels_by_file, named

COLUMNS = ["kpi_id", "kpi", "code", "label", "expected", "actual", "actual_as_of", "target", "deadline", "forecast",
           "explanation"]
TABLE_COLUMNS = ["kpi_id", "kpi", "code", "label", "expected", "actual", "target", "deadline", "forecast", "explanation"]


class Lang(str, Enum):
    ja = "ja"
    en = "en"


LangOption = typer.Option(Lang.ja, "--lang", help="Language of labels and explanations: ja or en")
AsOfOption = typer.Option(None, "--as-of", help="Evaluation date, e.g. 2019-03-31 or 平成31年3月31日 (default: today)")


def _as_of(text: str | None) -> date:
    if not text:
        return date.today()
    from mieruka.jp import parse_date

    try:
        return _after_meiji(date.fromisoformat(text), text)
    except ValueError:
        parsed = parse_date(text)
    if parsed is None:
        fail(f"cannot read --as-of {text[:40]!r}; give a date such as 2019-03-31")
    return _after_meiji(parsed, text)


def _after_meiji(parsed: date, text: str) -> date:
    """The pages' and the API's rule: every date is shown with its 和暦, and none is known before 明治元年."""
    from mieruka.jp.eras import ERAS

    first = min(era[2] for era in ERAS)
    if parsed < first:
        fail(f"--as-of {text[:40]!r}: give a date on or after {first.isoformat()} (明治元年1月25日), "
             "the first day of a Japanese era")
    return parsed


def _scheme(name: str):
    from mieruka.evaluate.schemes import SchemeError, load

    try:
        return load(name)
    except SchemeError as exc:
        fail(str(exc))


@app.command("evaluate")
def evaluate_cmd(
    scheme: str = typer.Option(..., "--scheme", "-s", help="Scheme name (see `mieruka schemes`) or a .toml/.yaml file"),
    as_of: str = AsOfOption,
    lang: Lang = LangOption,
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the computed ratings in the database"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Rate every KPI under a scheme, with the planned path, the forecast and a sentence explaining each code."""
    from mieruka.evaluate.stored import evaluate, evaluate_and_record, file_sha256
    from mieruka.storage.ratings import policy_result_rows

    sch = _scheme(scheme)
    when = _as_of(as_of)
    storage.ensure_schema(db)
    with storage.session_scope(db, write=store) as session:
        policies = {p["source"]["document_id"]: f"{p['policy']}（総合）" for p in policy_result_rows(session)}
        if store:
            # a scheme given as a file path is kept under the hash of that file
            sha = file_sha256(Path(scheme)) if Path(scheme).suffix in (".toml", ".yaml", ".yml") and Path(scheme).is_file() else None
            done = evaluate_and_record(session, sch, when, sha, policies)
        else:
            done = evaluate(session, sch, when, store=False, policies=policies)
    results, groups = done.results, done.groups
    from mieruka.records.citation import named_sources
    from mieruka.storage.queries import document_labels

    with storage.session_scope(db) as session:
        labels = labels_by_file(document_labels(session))
    # an explanation cites the documents it read by file name: named here by title and date
    rows = [{**row, "explanation": named_sources(row["explanation"], labels, lang.value)}
            if row.get("explanation") else row
            for row in [r.row(lang.value) for r in results] + [g.row(lang.value) for g in groups]]
    print_rows(rows, fmt, columns=COLUMNS, table_columns=TABLE_COLUMNS)
    tally = Counter(r.code for r in results)
    err.print(f"{len(results)} KPI(s) rated under {sch.name} as of {when.isoformat()}: "
              + ", ".join(f"{c} {n}" for c, n in tally.items())
              + ("" if store else " (not stored)"), highlight=False)
    newest = max((r.actual_as_of for r in results if r.actual_as_of), default=None)
    if newest and (when - newest).days > 365:
        # the default date is today: say so when the data ends long before it, since deadlines may have passed since
        err.print(f"note: the newest actual is dated {newest.isoformat()}, {(when - newest).days // 365} year(s) before "
                  f"{when.isoformat()}; targets whose deadline has passed since are rated on no data after it "
                  f"(give --as-of to rate as of an earlier date)", highlight=False)


def _pages_date(db) -> date | None:
    """The evaluation date the pages show by default: the date the reform schedule's ratings were stored as of (else
    any scheme's), so `mieruka audit` without --as-of audits as of the date the ratings were made."""
    from mieruka.evaluate.stored import stored_dates

    with storage.session_scope(db) as session:
        for scheme in ("reform-schedule", None):
            rated = [d["as_of"] for d in stored_dates(session, scheme) if d["ratings"]]
            if rated:
                return rated[-1]
    return None


@app.command("audit")
def audit_cmd(
    as_of: str = typer.Option(None, "--as-of", help="Evaluation date, e.g. 2019-03-31 or 平成31年3月31日 (default: the "
                                                    "date the stored ratings were made as of, as the pages show; "
                                                    "else today)"),
    scheme: list[str] = typer.Option(None, "--scheme", "-s",
                                     help="Schemes to check published ratings against (default: every scheme that "
                                          "declares the published scheme it reproduces)"),
    lang: Lang = LangOption,
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """List what the documents published that disagrees: with the numbers, with each other, with the calendar."""
    from mieruka.evaluate.schemes import available
    from mieruka.evaluate.stored import all_schemes, audit_and_store, audit_into_run
    from mieruka.records.citation import namer
    from mieruka.storage.queries import document_labels

    schemes = [_scheme(n) for n in (scheme or sorted(available()))]
    storage.ensure_schema(db)
    when = _as_of(as_of) if as_of else (_pages_date(db) or date.today())
    tally: Counter = Counter()

    def rows(found):
        for f in found:
            tally[f["kind"]] += 1
            yield {"kind": f["kind"], "kpi_id": f["kpi_id"], "kpi": f["kpi"],
                   "message": name(f["message_en"] if lang.value == "en" else f["message"]),
                   "sources": [{**s, **dict(zip(("title", "date"), named(s["document"], labels)))} for s in f["sources"]]
                   if fmt is Format.json else cited(f["sources"], labels),
                   **({} if fmt is Format.json else {"source_files": cited_files(f["sources"])})}

    columns = ["kind", "kpi_id", "kpi", "message", "sources"] + ([] if fmt is Format.json else ["source_files"])
    with storage.session_scope(db) as session:
        labels = labels_by_file(document_labels(session))
        name = namer(labels, lang.value)
        if [s.name for s in schemes] != [s.name for s in all_schemes()]:  # another set of schemes: not kept
            found = audit_and_store(session, when, schemes)
        else:
            # the default set of schemes is stored, so pages read these findings instead of auditing again; nothing
            # is written in this session yet, so each next chunk is read while one is audited
            run_id, _ = audit_into_run(session, when, ahead=True)
            # printed back a page at a time, never all in memory: by the run's id, which a write meanwhile leaves
            found = _stored_findings(session, when, lang.value, run_id)
        stream_rows(rows(found), fmt, columns)
    err.print(f"{sum(tally.values())} finding(s) as of {when.isoformat()}"
              + (": " + ", ".join(f"{k} {n}" for k, n in tally.items()) if tally else ""), highlight=False)


@app.command("schemes")
def schemes_cmd(fmt: Format = FormatOption) -> None:
    """List the rating schemes: shipped ones and those in $MIERUKA_SCHEMES_DIR."""
    from mieruka.evaluate.schemes import SchemeError, available, load_file

    rows = []
    for name, path in sorted(available().items()):
        try:
            s = load_file(path)
            rows.append({"name": name, "title": s.title_ja, "title_en": s.title_en, "codes": list(s.codes),
                         "official": s.official, "file": str(path)})
        except SchemeError as exc:
            rows.append({"name": name, "title": None, "title_en": None, "codes": [], "official": None,
                         "file": str(path), "error": str(exc)})
    print_rows(rows, fmt)


def _stored_findings(session, when: date, lang: str, run_id: int):
    from mieruka.evaluate.stored import iter_stored_findings

    return iter_stored_findings(session, when, lang=lang, run_id=run_id)  # the one language printed: half the text


def refresh_stored(db: str | None) -> None:
    """After a write: re-rate and re-audit what it changed (ratings and audits already kept), and say so."""
    from mieruka.evaluate.stored import refresh

    # a writer's transaction, run again when a concurrent command wrote the same rows first (see in_transaction)
    done = storage.in_transaction(db, refresh)
    parts = [f"{n} KPI(s) re-rated under {s}" for s, n in done["ratings"].items()]
    parts += [f"audit as of {d} redone" for d in done["audits"]]
    if parts:
        err.print("; ".join(parts), highlight=False)
