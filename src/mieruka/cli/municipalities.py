"""Local-body commands: the registry listing, survey import and template, attributes, bottom-up KPIs,
similar-body comparison, the savings calculator and linking advanced cases to bodies."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, err, fail, labelled
from mieruka.export.formats import Format, print_rows, to_json

survey_app = typer.Typer(help="Per-municipality surveys: import, template, attributes, bottom-up KPIs.", no_args_is_help=True)
app.add_typer(survey_app, name="survey")

_BODY_COLUMNS = ["code", "prefecture", "name", "kana", "kind"]
_SHOWN_ERRORS = 20  # rejected lines printed after an import; the rest are counted


@app.command("municipalities")
def municipalities_cmd(
    kind: str = typer.Option(None, "--kind", help="Only this kind: 都道府県, 市, 町, 村 or 特別区"),
    prefecture: str = typer.Option(None, "--prefecture", help="Only this prefecture (東京都, 東京 or 13)"),
    name: str = typer.Option(None, "--name", help="Resolve names as documents write them, e.g. '愛知県岡崎市・豊橋市'"),
    fmt: Format = FormatOption,
) -> None:
    """List the 47 prefectures and 1,741 municipalities with their JIS X 0402 codes."""
    from mieruka.bodies import names, registry

    try:
        bodies = names.resolve_many(name, prefecture) if name else registry.all_bodies()
    except LookupError as exc:
        fail(str(exc))
    if prefecture and not name:
        code = _prefecture_code(prefecture)
        bodies = [b for b in bodies if b.prefecture_code == code]
    if kind:
        bodies = [b for b in bodies if b.kind == kind]
    rows = [{"code": b.code, "prefecture": b.prefecture, "name": b.name, "kana": b.kana, "kind": b.kind,
             "designated_city": b.designated_city} for b in bodies]
    print_rows(rows, fmt, columns=_BODY_COLUMNS + ["designated_city"], table_columns=_BODY_COLUMNS)


def _prefecture_code(text: str) -> str:
    """"東京都", "東京" or "13" → "13"."""
    from mieruka.bodies import registry

    for p in registry.prefectures():
        if text in (p.name, p.prefecture_code, p.name if p.name == "北海道" else p.name[:-1]):
            return p.prefecture_code
    fail(f"--prefecture: unknown prefecture {text!r}")


def _date(text: str, option: str) -> date:
    from mieruka.jp import parse_date

    found = parse_date(text)
    if found is None:
        fail(f"{option}: cannot read {text!r} as a date (write 2017-04-01 or 平成29年4月1日)")
    return found


def _read(path: Path) -> bytes:
    from mieruka.municipalities.survey import MAX_SURVEY_BYTES

    if not path.is_file():
        fail(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_SURVEY_BYTES:  # refused before it is read into memory
        fail(f"{path}: the file is {size / 2**20:,.0f} MB; a survey of every municipality is far smaller, and the "
             f"limit is {MAX_SURVEY_BYTES // 2**20} MB")
    return path.read_bytes()


def _print_result(result: dict, keys: tuple[str, ...], fmt: Format) -> None:
    """The import summary (one field per row in a terminal), then every skipped line on stderr."""
    if fmt is Format.json:
        print(to_json(result))
    elif fmt is Format.csv:
        print_rows([{k: result[k] for k in keys}], fmt)
    else:
        print_rows([{"field": k, "value": result[k]} for k in keys], fmt)
    for e in result["errors"][:_SHOWN_ERRORS]:
        err.print(labelled("skipped", "yellow", f"line {e['line']}: {e['message']}"))
    if result["rejected"] > _SHOWN_ERRORS:
        err.print(labelled("skipped", "yellow", f"{result['rejected'] - _SHOWN_ERRORS:,} more line(s); the first "
                                                f"{len(result['errors'])} are kept with the import (--format json)"))


@survey_app.command("import")
def survey_import(
    file: Path = typer.Argument(..., help="CSV (UTF-8 or CP932) or XLSX, one row per municipality"),
    initiative: str = typer.Option(..., "--initiative", help="The initiative surveyed, e.g. 窓口委託"),
    as_of: str = typer.Option(..., "--as-of", help="The date the answers describe, e.g. 2017-04-01"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Import a survey: bad rows are reported by line and skipped, the rest load in one transaction."""
    from mieruka.municipalities.importing import import_survey
    from mieruka.municipalities.survey import SurveyError

    when = _date(as_of, "--as-of")
    raw = _read(file)
    storage.ensure_schema(db)
    try:
        result = storage.in_transaction(db, lambda session: import_survey(session, raw, file.name, initiative, when))
    except SurveyError as exc:
        fail(str(exc))
    from mieruka.cli.evaluate import refresh_stored

    refresh_stored(db)
    _print_result(result, ("file", "status", "import_id", "replaced", "initiative", "as_of", "encoding",
                           "loaded", "unanswered", "rejected", "seconds"), fmt)


@survey_app.command("template")
def survey_template(
    out: Path = typer.Argument(..., help="Where to write the .xlsx"),
    initiative: str = typer.Option(None, "--initiative", help="Name the initiative in the instructions"),
) -> None:
    """Write a blank XLSX survey with all 1,741 municipalities for offices to fill in."""
    from mieruka.municipalities.survey import write_template

    if out.suffix.lower() != ".xlsx":
        fail(f"{out}: the template is an Excel workbook; name it with .xlsx")
    write_template(out, initiative)
    print(f"wrote {out}")


@survey_app.command("attributes")
def survey_attributes(
    file: Path = typer.Argument(..., help="CSV or XLSX with a code or name column and 人口, 産業構造 or the employment shares, 団体区分"),
    as_of: str = typer.Option(None, "--as-of", help="The date the population refers to"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Import population, industrial structure and 中核市 / 施行時特例市 status, used to group similar bodies."""
    from mieruka.municipalities.importing import import_attributes
    from mieruka.municipalities.survey import SurveyError

    when = _date(as_of, "--as-of") if as_of else None
    raw = _read(file)
    storage.ensure_schema(db)
    try:
        result = storage.in_transaction(db, lambda session: import_attributes(session, raw, file.name, when))
    except SurveyError as exc:
        fail(str(exc))
    _print_result(result, ("file", "encoding", "updated", "rejected", "seconds"), fmt)


@survey_app.command("list")
def survey_list(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """List the survey imports: initiative, date, file, responses and rejected lines."""
    from mieruka.storage import local_bodies as store

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        rows = store.imports(session)
    print_rows(rows, fmt, table_columns=["id", "initiative", "as_of", "file_name", "responses", "rejected"])


@survey_app.command("define-kpi")
def survey_define_kpi(
    initiative: str = typer.Option(..., "--initiative", help="The surveyed initiative to count"),
    measure: str = typer.Option("count", "--measure", help="count (municipalities adopted) or rate (% of 1,741)"),
    kpi: str = typer.Option(None, "--kpi", help="Attach to this existing KPI (id or key) and compare with its published figures"),
    name: str = typer.Option(None, "--name", help="Name of a new KPI when --kpi is not given"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """Define a bottom-up KPI: the count or rate of municipalities that adopted an initiative."""
    from mieruka.evaluate.bottom_up import MEASURES
    from mieruka.storage import local_bodies as store

    if measure not in MEASURES:
        fail(f"--measure is one of {', '.join(MEASURES)}, got {measure!r}")
    if kpi is None and name is None:
        fail("give --kpi (an existing KPI's id or key) or --name (a new KPI)")
    storage.ensure_schema(db)
    try:
        # create-or-get: a command defining the same KPI at the same time makes the other one run again and find it
        row = storage.in_transaction(db, lambda session: store.define_survey_kpi(session, initiative, measure, kpi, name))
    except LookupError as exc:
        fail(str(exc.args[0]))
    from mieruka.cli.evaluate import refresh_stored

    refresh_stored(db)
    print_rows([row], fmt)


@survey_app.command("kpis")
def survey_kpis(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """The bottom-up KPIs with their national value per survey and any mismatch with the published figure."""
    from mieruka.evaluate.bottom_up import kpi_report, published_by_date
    from mieruka.storage import local_bodies as store

    storage.ensure_schema(db)
    rows = []
    with storage.session_scope(db) as session:
        for definition in store.survey_kpis(session):
            report = kpi_report(session, definition["kpi_id"])
            found = {f["as_of"]: f for f in report["findings"]}
            published = {when: [f["value"] for f in figures]
                         for when, figures in published_by_date(report["published"]).items()}
            for s in report["snapshots"] or [None]:
                rows.append({"kpi_id": definition["kpi_id"], "kpi": definition["kpi"], "initiative": definition["initiative"],
                             "measure": definition["measure"], "as_of": s and s.as_of,
                             "value": s and s.national.value, "unit": s and s.national.unit,
                             "adopted": s and s.national.adopted, "answered": s and s.national.answered,
                             "denominator": s and s.national.denominator,
                             "published": published[s.as_of][0] if s and s.as_of in published else None,
                             "published_values": published.get(s.as_of, []) if s else [],
                             "finding": found[s.as_of]["message"] if s and s.as_of in found else None})
    print_rows(rows, fmt, table_columns=["kpi_id", "kpi", "as_of", "value", "unit", "published", "finding"])


@survey_app.command("values")
def survey_values(
    kpi: int = typer.Argument(..., help="The bottom-up KPI's id"),
    as_of: str = typer.Option(None, "--as-of", help="The survey date (default: the latest)"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """A bottom-up KPI per prefecture and nationally, for one survey date."""
    from mieruka.evaluate.bottom_up import kpi_report, municipality_counts
    from mieruka.municipalities.mapdata import prefecture_names

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        report = kpi_report(session, kpi)
    if report is None:
        fail(f"KPI {kpi} is not a bottom-up KPI (define one with `mieruka survey define-kpi`)")
    when = _date(as_of, "--as-of") if as_of else None
    snapshots = [s for s in report["snapshots"] if when is None or s.as_of == when]
    if not snapshots:
        fail(f"no survey of {report['initiative']!r}" + (f" dated {when}" if when else ""))
    s = snapshots[-1]
    names = prefecture_names()
    counts = municipality_counts()
    rows = [{"prefecture_code": code, "prefecture": names[code], "value": f.value if f else None,
             "adopted": f.adopted if f else None, "answered": f.answered if f else 0, "denominator": counts[code]}
            for code in names for f in [s.prefectures.get(code)]]
    rows.append({"prefecture_code": None, "prefecture": "全国", "value": s.national.value, "adopted": s.national.adopted,
                 "answered": s.national.answered, "denominator": s.national.denominator})
    print_rows(rows, fmt, title=f"{report['kpi']} ({s.as_of}, {s.national.unit})")


@app.command("similar")
def similar_cmd(
    body: str = typer.Argument(..., help="Code (142158) or name (神奈川県海老名市) of a municipality"),
    initiative: str = typer.Option(None, "--initiative", help="Compare adoption and cost of this surveyed initiative"),
    as_of: str = typer.Option(None, "--as-of", help="Use the latest survey on or before this date"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """A municipality beside its 類似団体 group: adoption, cost per resident and rank."""
    from mieruka.municipalities import similar
    from mieruka.storage import local_bodies as store

    code = _body_code(body)
    when = _date(as_of, "--as-of") if as_of else None
    storage.ensure_schema(db)
    def compare(session):
        store.sync_registry(session)
        return similar.compare(store.body_facts(session, initiative, when), code)

    result = storage.in_transaction(db, compare)
    if result is None:
        fail(f"{body} is not a municipality")
    if result["group"] is None:
        fail(f"{result['body']['name']}: no population imported, so its group is unknown "
             "(import a survey with a 人口 column or `mieruka survey attributes`)")
    if fmt is Format.json:
        print(to_json(result))
        return
    err.print(f"{result['body']['prefecture']}{result['body']['name']}: {result['group']['label']}, "
              f"{result['size']} bodies, rank {result['body']['rank'] or '-'} of {result['ranked']} by cost per resident",
              highlight=False)
    print_rows(result["members"], fmt, columns=["rank", "code", "prefecture", "name", "population", "adopted", "cost",
                                                 "cost_per_resident"])


def _body_code(text: str) -> str:
    from mieruka.bodies import names, registry

    try:
        found = registry.by_code(text) if text.isdigit() else names.resolve(text)
    except (LookupError, ValueError) as exc:
        fail(str(exc))
    if found is None:
        fail(f"no local body has the code {text}")
    return found.code


@app.command("savings")
def savings_cmd(
    before: str = typer.Option(None, "--before", help="Cost before, e.g. 208300000 or 2.083億円"),
    after: str = typer.Option(None, "--after", help="Cost after, e.g. 1.583億円"),
    years: float = typer.Option(None, "--years", help="Period the costs cover (default 1, or the case's)"),
    population: int = typer.Option(None, "--population", help="Residents, for the cut per resident"),
    case: str = typer.Option(None, "--case", help="Fill in from an advanced case, e.g. 海老名市"),
    db: str = DbOption,
    fmt: Format = FormatOption,
) -> None:
    """The cut in 円 and %, per year and per resident, from costs before and after (or an advanced case)."""
    from mieruka.municipalities import savings

    prefill = _case_savings(case, db) if case else None
    if prefill is None and (before is None or after is None):
        fail("give --before and --after, or --case")
    try:
        result = savings.calculate(
            _yen(before, "--before") if before is not None else prefill["before"],
            _yen(after, "--after") if after is not None else prefill["after"],
            years if years is not None else (prefill["years"] if prefill else 1.0),
            population if population is not None else (prefill["population"] if prefill else None))
    except savings.SavingsError as exc:
        fail(str(exc))
    data = {**result.to_dict(), "case": prefill["case"] if prefill else None}
    if fmt is Format.json:
        print(to_json(data))
        return
    from mieruka.jp import format_yen

    rows = [{"item": k, "value": _show(k, v, format_yen)} for k, v in data.items()]
    print_rows(rows, fmt)


def _show(key: str, value, format_yen) -> str | None:
    if value is None or key in ("years", "population", "case"):
        return value
    if key == "cut_percent":
        return f"{value:.1f}%"
    exact = f"{value:,.0f}円"
    short = format_yen(value)
    return exact if short == exact else f"{short} ({exact})"


def _yen(text: str, option: str) -> float:
    from mieruka.jp import ParseError, parse

    try:
        parsed = parse(text)
    except ParseError:
        parsed = None
    if parsed is None or parsed.value is None or parsed.unit not in ("円", None):
        fail(f"{option}: cannot read {text!r} as an amount of money (write 208300000 or 2.083億円)")
    return parsed.value


def _case_savings(name: str, db: str | None) -> dict:
    """Before, after, years and population an advanced case implies, from its first effect with an amount and %."""
    from mieruka.municipalities import savings
    from mieruka.storage import local_bodies as store

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        cases = store.find_cases(session, name)
        for c in cases:
            for e in c["effects"]:
                if e["amount_yen"] and e["change_percent"]:
                    population = store.population_of(session, c["body_codes"])
                    implied = savings.from_case(e["amount_yen"], e["change_percent"], e["period_years"], population)
                    return {"before": implied.before, "after": implied.after, "years": implied.years,
                            "population": population, "case": f"{'・'.join(c['municipalities'])}: {e['text']}"}
    fail(f"no advanced case of {name!r} states a saving with its percentage"
         + ("" if cases else " (no case mentions it; ingest the documents first)"))


@app.command("link-cases")
def link_cases_cmd(db: str = DbOption, fmt: Format = FormatOption) -> None:
    """Fill the local-body table from the registry and link every advanced case to its bodies."""
    from mieruka.storage import local_bodies as store

    storage.ensure_schema(db)
    synced, unresolved = storage.in_transaction(
        db, lambda session: (store.sync_registry(session), store.link_cases(session)))
    err.print(f"local bodies: {synced['total']} ({synced['added']} added, {synced['updated']} updated); "
              f"{len(unresolved)} case name(s) not resolved", highlight=False)
    print_rows(unresolved, fmt, columns=["case_id", "name", "error"])


@survey_app.command("workbook")
def survey_workbook_cmd(
    survey: str = typer.Argument(..., help="The survey asked in a round: its id or its initiative (e.g. 窓口委託)"),
    actor: str = typer.Option(..., "--as", help="The login of the local body's account (its own answer) or the "
                                                "secretariat's (every municipality's)"),
    out: Path = typer.Option(None, "--output", "-o", help="File to write (default: the workbook's own name here)"),
    lang: str = typer.Option("ja", "--lang", help="ja or en: the workbook's headers and instructions"),
    db: str = DbOption,
) -> None:
    """The survey's answer workbook (XLSX) to fill in, the same file the survey page gives the account."""
    from mieruka.accounts.service import principal
    from mieruka.cli.report import _write_workbook
    from mieruka.storage.accounts import user_by_login
    from mieruka.workflow import survey_workbook

    def make(session):
        user = user_by_login(session, actor)
        if user is None or not user.active or user.role not in ("local", "secretariat"):
            fail(f"--as: no active account {actor!r}" if user is None or not user.active else
                 f"--as: {actor} is {user.role}; survey workbooks are for local bodies and the secretariat")
        return survey_workbook.export(session, principal(session, user), _survey(session, survey), lang)

    _write_workbook(make, out, db, lang, "answer(s)")


def _survey(session, ref: str):
    """The survey request named by id or by initiative (one only: a name asked in several rounds needs the id)."""
    from mieruka.storage import survey_rounds

    if ref.strip().isdecimal():  # ０-９ too, as int() reads them; not ² (a digit int() refuses)
        # past the largest id a database stores: no such survey, not an overflow
        found = survey_rounds.request_by_id(session, int(ref)) if len(ref.strip()) <= 18 else None
        if found is None:
            fail(f"no survey {ref.strip()}: the /surveys page lists the surveys asked in each round")
        return found
    named = [r for r in survey_rounds.requests(session) if r.initiative == ref.strip()]
    if not named:
        fail(f"no survey of {ref!r}: the /surveys page lists the surveys asked in each round")
    if len(named) > 1:
        fail(f"{len(named)} surveys of {ref!r} (ids {', '.join(str(r.id) for r in named)}): give the id")
    return named[0]
