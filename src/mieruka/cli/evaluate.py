"""Commands that rate, audit and list rating schemes: evaluate, audit, schemes.
Thin wrappers over mieruka.evaluate; computed ratings are stored beside the official ones."""
from __future__ import annotations

from collections import Counter
from datetime import date
from enum import Enum

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, err, fail
from mieruka.export.formats import Format, print_rows
from mieruka.export.shapes import cited

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
        return date.fromisoformat(text)
    except ValueError:
        parsed = parse_date(text)
    if parsed is None:
        fail(f"cannot read --as-of {text!r}; give a date such as 2019-03-31")
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
    from mieruka.evaluate.rate import rate_all, roll_up
    from mieruka.storage.queries import kpi_rows
    from mieruka.storage.ratings import policy_result_rows, store_computed

    sch = _scheme(scheme)
    when = _as_of(as_of)
    storage.ensure_schema(db)
    with storage.session_scope(db, write=store) as session:
        kpis = kpi_rows(session)
        results = rate_all(kpis, sch, when)
        policies = {p["source"]["document_id"]: f"{p['policy']}（総合）" for p in policy_result_rows(session)}
        groups = roll_up(results, kpis, sch, policies)
        if store:
            store_computed(session, sch.name, [{
                "kpi_id": r.kpi_id, "code": r.code, "explanation": r.explanation, "explanation_en": r.explanation_en,
                "as_of": r.as_of, "details": r.details()} for r in results])
    rows = [r.row(lang.value) for r in results] + [g.row(lang.value) for g in groups]
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


@app.command("audit")
def audit_cmd(
    as_of: str = AsOfOption,
    scheme: list[str] = typer.Option(None, "--scheme", "-s",
                                     help="Schemes to check published ratings against (default: every scheme that "
                                          "declares the published scheme it reproduces)"),
    lang: Lang = LangOption,
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """List what the documents published that disagrees: with the numbers, with each other, with the calendar."""
    from mieruka.evaluate.findings import audit_session
    from mieruka.evaluate.schemes import available

    schemes = [_scheme(n) for n in (scheme or sorted(available()))]
    when = _as_of(as_of)
    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        findings = audit_session(session, when, schemes)
    rows = [f.row(lang.value) for f in findings]
    if fmt is not Format.json:
        rows = [{**r, "sources": cited(r["sources"])} for r in rows]
    print_rows(rows, fmt, columns=["kind", "kpi_id", "kpi", "message", "sources"])
    tally = Counter(f.kind for f in findings)
    err.print(f"{len(findings)} finding(s) as of {when.isoformat()}"
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
