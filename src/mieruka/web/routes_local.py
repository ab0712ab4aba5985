"""Local-body pages: the body beside its 類似団体 group, prefecture maps of survey figures, bottom-up KPIs and the
savings calculator. Maps are SVG drawn on the server (municipalities.mapdata), so no page fetches anything outside."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from mieruka.jp import ParseError, parse
from mieruka.bodies import names, registry
from mieruka.evaluate import bottom_up
from mieruka.municipalities import savings, similar
from mieruka.municipalities.mapdata import choropleth_svg, prefecture_geojson, prefecture_names
from mieruka.storage import local_bodies as store
from mieruka.web.guards import PageNumber, RequestRefused, SearchText, finite_amount, path_id
from mieruka.web import kept
from mieruka.web.i18n import translator
from mieruka.web.listings import Page, page_bounds
from mieruka.web.pages import DbSession, Lang, download_response, href_for, read_as_of, render, templates
from mieruka.web.routes_plans import body_plans
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/local", {"ja": "地方公共団体", "en": "Local bodies"}, 60),
       NavLink("/savings", {"ja": "削減効果の試算", "en": "Savings calculator"}, 61)]
MESSAGES = Path(__file__).with_name("templates") / "local" / "messages.toml"

KpiId = path_id("KPI")
_PREFECTURE_BODY = {p.prefecture_code: p.code for p in registry.prefectures()}


# --- data the pages share -----------------------------------------------------------------------

def _facts(session, initiative: str | None, as_of: date | None, state: tuple | None) -> list[dict]:
    """store.body_facts: every body's page and download compares the body with all 1,741 (a tenth of a second to
    read). Shared: a caller that adds to a body's facts copies it."""
    return kept.value(state, "facts", (initiative, as_of), lambda: store.body_facts(session, initiative, as_of))


def _groups(facts: list[dict], initiative: str | None, as_of: date | None, state: tuple | None) -> dict:
    """The bodies of each group of similar bodies, classified once for all pages (similar.by_group)."""
    return kept.value(state, "groups", (initiative, as_of), lambda: similar.by_group(facts))


def _counting_kpis(session, prefecture: bool, lang: str, state: tuple | None) -> Markup:
    """What every municipality's page (every prefecture's) says of the KPIs that count bodies of its kind
    (local/_counting.html): how many, a link to their list, the survey KPIs. Drawn once per state of the data and
    language."""
    def draw() -> Markup:
        return Markup(templates.get_template("local/_counting.html").render(
            t=translator(lang), href=href_for(lang), prefecture=prefecture,
            counting=store.kpis_counting_bodies(session, prefecture=prefecture)))
    return kept.value(state, "counting", (prefecture, lang), draw)


def _initiative(session, chosen: str | None, state: tuple | None = None) -> tuple[str | None, list[str]]:
    """The initiative asked for, else the one surveyed most recently; and all surveyed initiatives."""
    done = kept.value(state, "imports", (), lambda: store.imports(session))
    known = sorted({i["initiative"] for i in done})
    if chosen in known:
        return chosen, known
    latest = max(done, key=lambda i: (i["as_of"], i["id"]), default=None)
    return (latest["initiative"] if latest else None), known


def _adoption_map(session, initiative: str | None, as_of: date | None, lang: str, highlight: str | None = None,
                  state: tuple | None = None) -> dict | None:
    """The adoption rate by prefecture from the latest survey of the initiative (on or before as_of), as SVG and rows
    (drawn once per state of the data for each prefecture a body's page highlights)."""
    if initiative is None:
        return None
    return kept.value(state, "map", (initiative, as_of, lang, highlight),
                      lambda: _draw_adoption_map(session, initiative, as_of, lang, highlight))


def _draw_adoption_map(session, initiative: str, as_of: date | None, lang: str, highlight: str | None) -> dict | None:
    snapshots = [s for s in bottom_up.aggregate(store.adoption_counts(session, initiative), initiative, "rate")
                 if as_of is None or s.as_of <= as_of]
    if not snapshots:
        return None
    found = _map_of(snapshots[-1], f"{initiative}: {translator(lang)('local.measure_rate')}", lang, highlight)
    # drawn here, once, rather than by each of the 1,788 bodies' pages that show it (two fifths of drawing one)
    found["html"] = templates.get_template("local/_map.html").make_module(
        {"t": translator(lang), "href": href_for(lang), "lang": lang}).prefecture_map(found)
    return found


def _map_of(snapshot: bottom_up.Snapshot, title: str, lang: str, highlight: str | None = None) -> dict:
    counts = bottom_up.municipality_counts()
    href = href_for(lang)
    values = {code: f.value for code, f in snapshot.prefectures.items()}
    notes = {code: f"{f.adopted}/{counts[code]}" for code, f in snapshot.prefectures.items()}
    rows = [{"prefecture_code": code, "prefecture": name, "value": values.get(code),
             "adopted": snapshot.prefectures[code].adopted if code in snapshot.prefectures else None,
             "answered": snapshot.prefectures[code].answered if code in snapshot.prefectures else 0,
             "municipalities": counts[code]} for code, name in prefecture_names().items()]
    svg = choropleth_svg(values, unit=snapshot.national.unit, title=f"{title} ({snapshot.as_of.isoformat()})",
                         highlight=highlight, link=lambda code: href(f"/local/{_PREFECTURE_BODY[code]}"), notes=notes,
                         no_data=translator(lang)("local.no_data"))
    return {"svg": svg, "rows": rows, "snapshot": snapshot, "title": title, "measure": snapshot.measure}


# --- index --------------------------------------------------------------------------------------

@router.get("/local/prefectures.geojson")
def prefectures_geojson() -> JSONResponse:
    return JSONResponse(prefecture_geojson(), media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/local.{fmt}")
def local_download(fmt: str, session: DbSession, lang: Lang, initiative: str | None = None, as_of: str | None = None):
    chosen, _ = _initiative(session, initiative)
    found = _adoption_map(session, chosen, read_as_of(as_of), "ja")
    return download_response(found["rows"] if found else [], fmt, "adoption_by_prefecture", lang=lang)


@router.get("/local")
def local_index(request: Request, session: DbSession, lang: Lang, q: SearchText = None,
                initiative: str | None = None, as_of: str | None = None):
    store.ensure_registry(session)
    found, problem = [], None
    if q and q.strip():
        found, problem = _search(q.strip(), lang)
        if len(found) == 1:
            return RedirectResponse(href_for(lang)(f"/local/{found[0].code}"), status_code=303)
    chosen, known = _initiative(session, initiative)
    return render(request, "local/index.html", {
        "q": q or "", "found": found, "problem": problem, "initiative": chosen, "initiatives": known,
        "map": _adoption_map(session, chosen, read_as_of(as_of), lang),
        "kpis": store.survey_kpis(session), "prefectures": registry.prefectures(),
    })


def _search(text: str, lang: str) -> tuple[list, str | None]:
    """Bodies a search box entry names: a code, a name, or a name shared by several bodies (all listed); with a
    message in the page's language when the entry names none or several."""
    t = translator(lang)
    try:
        if text.isdigit():
            body = registry.by_code(text)
            return ([body], None) if body else ([], t("local.search_no_code", code=text[:20]))
        return names.resolve_many(text), None
    except names.AmbiguousName as exc:
        return exc.candidates, t("local.search_ambiguous", name=exc.name[:40], n=len(exc.candidates))
    except (LookupError, ValueError):
        return [], t("local.search_unknown", name=text[:40])


# --- one body -----------------------------------------------------------------------------------

def _group_rows(result: dict) -> list[dict]:
    return [{"rank": x["rank"], "code": x["code"], "prefecture": x["prefecture"], "name": x["name"],
             "population": x["population"], "adopted": x["adopted"], "cost": x["cost"],
             "cost_per_resident": x["cost_per_resident"]} for x in result["members"]]


COUNTING_PAGE = 500  # KPIs a page of the list of those counted in bodies


def _counting_list(request: Request, session, prefecture: bool, page: int):
    """The KPIs counted in bodies of a kind (unit 団体…, or 都道府県), in id order: the list a body's page links to."""
    total = store.count_counting_kpis(session, prefecture)
    page, pages = page_bounds(total, page, COUNTING_PAGE)
    rows = store.counting_kpi_page(session, prefecture, (page - 1) * COUNTING_PAGE, COUNTING_PAGE) if total else []
    return render(request, "local/counting.html", {"prefecture": prefecture, "page": Page(rows, total, page, pages)})


@router.get("/local/counting")
def counting_municipalities(request: Request, session: DbSession, lang: Lang, page: PageNumber = 1):
    return _counting_list(request, session, False, page)


@router.get("/local/counting/prefectures")
def counting_prefectures(request: Request, session: DbSession, lang: Lang, page: PageNumber = 1):
    return _counting_list(request, session, True, page)


@router.get("/local/{code}.{fmt}")
def body_download(code: str, fmt: str, session: DbSession, lang: Lang, initiative: str | None = None, as_of: str | None = None):
    state = kept.state(session)
    body = kept.body(session, code, state)
    if body is None:
        raise RequestRefused(404, "no_body", code=code[:20])
    chosen, _ = _initiative(session, initiative, state)
    when = read_as_of(as_of)
    facts = _facts(session, chosen, when, state)
    if body["kind"] == registry.PREFECTURE:
        rows = [f for f in facts if f["prefecture_code"] == body["prefecture_code"]]
        return download_response(rows, fmt, f"municipalities_{code}", lang=lang)
    result = similar.compare(facts, code, _groups(facts, chosen, when, state))
    return download_response(_group_rows(result), fmt, f"similar_{code}", lang=lang)


@router.get("/local/{code}")
def body_page(request: Request, code: str, session: DbSession, lang: Lang, initiative: str | None = None,
              as_of: str | None = None):
    state = kept.state(session)
    kept.ensure_registry(session, state)
    body = kept.body(session, code, state)
    if body is None:
        # Many lists print the 5-digit code without its check digit (14215 for 142158).
        known = registry.by_code(code) if code.isdigit() and len(code) in (5, 6) else None
        if known is None:
            raise RequestRefused(404, "no_body", code=code[:20])
        return RedirectResponse(href_for(lang)(f"/local/{known.code}", initiative=initiative, as_of=as_of),
                                status_code=301)
    chosen, known = _initiative(session, initiative, state)
    when = read_as_of(as_of)
    facts = _facts(session, chosen, when, state)
    prefecture = body["kind"] == registry.PREFECTURE
    context = {"body": body, "prefecture_body": _PREFECTURE_BODY[body["prefecture_code"]],
               "initiative": chosen, "initiatives": known,
               "survey": kept.value(state, "survey", (chosen, when),
                                     lambda: store.import_info(session, chosen, when)) if chosen else None,
               "map": _adoption_map(session, chosen, when, lang, body["prefecture_code"], state),
               "counting_kpis": _counting_kpis(session, prefecture, lang, state)}
    if prefecture:
        members = [{**f, "cost_per_resident": similar.cost_per_resident(f)} for f in facts
                   if f["prefecture_code"] == body["prefecture_code"]]
        return render(request, "local/prefecture.html", {**context, "members": members})
    result = similar.compare(facts, code, _groups(facts, chosen, when, state))
    return render(request, "local/body.html", {
        **context, "result": result,
        "cases": kept.value(state, "cases", (), lambda: store.cases_by_body(session)).get(code, []),
        "industry": similar.industry_label(body["kind"], body["industry"]) if body["industry"] else None,
        "savings_link": _savings_link(result["body"], facts, code, lang),
        "body_plans": body_plans(session, code, [x["code"] for x in result["members"]] if result["group"] else None)
        if kept.has_plans(session, code, state) else {"plans": [], "others": {}},
    })


def _savings_link(member: dict, facts: list[dict], code: str, lang: str) -> str | None:
    """The calculator filled with this body's own costs, when it answered both."""
    fact = next(f for f in facts if f["code"] == code)
    if fact["cost_before"] is None or fact["cost_after"] is None:
        return None
    return href_for(lang)("/savings", before=f"{fact['cost_before']:.0f}", after=f"{fact['cost_after']:.0f}",
                          population=member["population"])


# --- bottom-up KPIs -----------------------------------------------------------------------------

def _kpi_snapshot(session, kpi_id: int, as_of: str | None):
    report = bottom_up.kpi_report(session, kpi_id)
    if report is None:
        raise RequestRefused(404, "not_bottom_up", id=kpi_id)
    when = read_as_of(as_of)
    chosen = [s for s in report["snapshots"] if when is None or s.as_of == when]
    return report, (chosen[-1] if chosen else None)


@router.get("/local/kpi/{kpi_id}.{fmt}")
def kpi_download(kpi_id: KpiId, fmt: str, session: DbSession, lang: Lang, as_of: str | None = None):
    report, snapshot = _kpi_snapshot(session, kpi_id, as_of)
    rows = _map_of(snapshot, report["kpi"], "ja")["rows"] if snapshot else []
    return download_response(rows, fmt, f"bottom_up_{kpi_id}", lang=lang)


@router.get("/local/kpi/{kpi_id}/map.svg")
def kpi_map_svg(kpi_id: KpiId, session: DbSession, lang: Lang, as_of: str | None = None):
    """The KPI's prefecture map alone, for pages (such as the KPI page) that embed it."""
    report, snapshot = _kpi_snapshot(session, kpi_id, as_of)
    if snapshot is None:
        raise RequestRefused(404, "no_survey_for_kpi", id=kpi_id)
    return Response(_map_of(snapshot, report["kpi"], lang)["svg"], media_type="image/svg+xml")


@router.get("/local/kpi/{kpi_id}")
def kpi_page(request: Request, kpi_id: KpiId, session: DbSession, lang: Lang, as_of: str | None = None):
    report, snapshot = _kpi_snapshot(session, kpi_id, as_of)
    published = bottom_up.published_by_date(report["published"])
    findings = {f["as_of"]: f for f in report["findings"]}
    return render(request, "local/kpi.html", {
        "report": report, "snapshot": snapshot, "published": published, "findings": findings,
        "map": _map_of(snapshot, report["kpi"], lang) if snapshot else None,
    })


# --- savings calculator -------------------------------------------------------------------------

def _amount(text: str | None, field: str, errors: list[str]) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        parsed = parse(text)
    except ParseError:
        parsed = None
    # 1e309, nan and a thousand digits read as inf or nan: no amount past MAX_AMOUNT is a cost or a population.
    if parsed is None or not finite_amount(parsed.value) or parsed.unit not in ("円", "人", None):
        errors.append(field)
        return None
    return parsed.value


def _case_choices(session) -> list[dict]:
    choices = []
    for c in store.find_cases(session, ""):
        for i, e in enumerate(c["effects"]):
            if e["amount_yen"] and e["change_percent"]:
                choices.append({"value": f"{c['id']}-{i}", "label": f"{'・'.join(c['municipalities'])}: {e['text']}",
                                "case": c, "effect": e})
    return choices


SCALES = ("", "population", "cost")


@router.get("/savings")
def savings_page(request: Request, session: DbSession, lang: Lang, before: str | None = None, after: str | None = None,
                 years: str | None = None, population: str | None = None, case: str | None = None,
                 scale: str | None = None, case_population: str | None = None):
    """The calculator: costs typed by hand, or a case's costs as they are, scaled by population or applied to one's
    own cost. Money is shown to the significant figures the inputs hold; a cost that rises is said so."""
    store.ensure_registry(session)
    t = translator(lang)
    choices = _case_choices(session)
    picked = next((c for c in choices if c["value"] == case), None)
    errors: list[str] = []
    typed = {"before": before, "after": after, "years": years, "population": population,
             "case_population": case_population}
    values = {k: _amount(v, k, errors) for k, v in typed.items()}
    by = scale if scale in SCALES else ""
    result, problem, digits, inputs = None, None, None, []
    if not errors:
        try:
            result, inputs = _savings_of(session, picked, by, values)
        except savings.SavingsError as exc:
            problem = t(f"savings.error_{exc.key}", default=t("savings.error_other"), **exc.fields)
    if result is not None:
        digits = savings.supported_digits(*inputs)
    # The form keeps what was typed (a computed cost typed back in would claim more figures than the case gives);
    # the case's population is filled in when the database knows it.
    form = {k: (v or "").strip() for k, v in typed.items()}
    if picked and not form["case_population"]:
        known = store.population_of(session, picked["case"]["body_codes"])
        form["case_population"] = str(known) if known else ""
    rounded = {k: savings.round_significant(getattr(result, k), digits)
               for k in ("before", "after", "cut", "cut_per_year", "cut_per_resident", "cut_per_resident_per_year")
               } if result else {}
    return render(request, "local/savings.html", {
        "choices": choices, "picked": picked, "form": form, "errors": errors, "problem": problem, "result": result,
        "rounded": rounded, "digits": digits, "scale": by, "scales": SCALES,
        "rises": result is not None and result.after > result.before,
    }, status_code=422 if errors or problem else 200)


def _savings_of(session, picked: dict | None, by: str, values: dict) -> tuple[savings.Savings | None, list]:
    """The calculation the form asks for and the inputs it rests on (for its significant figures); (None, []) while
    the form lacks what it needs. Raises SavingsError (with a key the page translates) for inputs that make no sense."""
    years, population = values["years"], values["population"]
    whole = round(population) if population else None
    if picked is None:
        if values["before"] is None or values["after"] is None:
            if by:
                raise savings.SavingsError("choose a case to scale", "need_case")
            return None, []
        return savings.calculate(values["before"], values["after"], 1.0 if years is None else years, whole), \
            [values["before"], values["after"], population]
    e = picked["effect"]
    case_years = years if years is not None else e["period_years"]
    implied = savings.from_case(e["amount_yen"], e["change_percent"], case_years)
    case_inputs = [e["amount_yen"], e["change_percent"]]
    if by == "population":
        case_population = values["case_population"] or store.population_of(session, picked["case"]["body_codes"])
        return savings.scaled(implied, "population", population, case_population), \
            [*case_inputs, population, case_population]
    if by == "cost":
        return savings.scaled(implied, "cost", population, before=values["before"]), \
            [*case_inputs, values["before"], population]
    # the case's own costs; what the user typed wins, and the linked bodies' population fills a gap
    population = population if population is not None else store.population_of(session, picked["case"]["body_codes"])
    before = values["before"] if values["before"] is not None else implied.before
    after = values["after"] if values["after"] is not None else implied.after
    typed = [v for v in (values["before"], values["after"]) if v is not None]
    return savings.calculate(before, after, implied.years, round(population) if population else None), \
        [*case_inputs, *typed, population]
