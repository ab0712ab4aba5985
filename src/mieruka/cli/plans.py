"""Plan commands: `mieruka plan new|add|edit|remove|actual|show|list|export|import` — a body's own plan from national
measures, from the shell and in bulk from a spreadsheet of choices. Thin wrappers over mieruka.plans."""
from __future__ import annotations

from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, err, fail
from mieruka.export.formats import Format, print_rows, to_json

plan_app = typer.Typer(help="A body's own plan (官民データ活用推進計画): choose national measures, set KPIs, export the "
                            "draft, enter actuals.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

VIA = "cli"
ActorOption = typer.Option(..., "--actor", help="Who makes the change (kept in the plan's log of changes)")
SHOW_COLUMNS = ["id", "measure_no", "measure_code", "measure_name", "section", "kpi", "baseline", "target", "deadline",
                "schedule", "actuals", "rating"]
TABLE_COLUMNS = ["id", "measure_no", "measure_name", "section", "kpi", "baseline", "target", "deadline", "rating"]


def _body_code(text: str) -> str:
    """A 6-digit code as given, or a name as documents write it resolved to exactly one body."""
    from mieruka.bodies import names

    if text.strip().isdigit():
        return text.strip()
    try:
        found = names.resolve_many(text)
    except LookupError as exc:
        fail(f"--body: {exc}")
    if len(found) != 1:
        fail(f"--body: {text!r} names {len(found)} bodies; give one")
    return found[0].code


def _run(db: str | None, action):
    """Run action(session) in one transaction; bad input exits 1 with the field named and nothing written."""
    from mieruka.plans.inputs import PlanInputError

    storage.ensure_schema(db)
    try:
        # a writer's transaction, run again when another command created the same plan or row first
        return storage.in_transaction(db, action)
    except PlanInputError as exc:
        fail(exc.message("ja") + f" / {exc.message('en')}")


def _schedule(lines: list[str] | None) -> str | None:
    return "\n".join(lines) if lines else None


@plan_app.command("new")
def plan_new(body: str = typer.Option(..., "--body", help="Code (142158) or name (神奈川県海老名市)"),
             title: str = typer.Option(None, "--title", help="Default: <body>官民データ活用推進計画"),
             scheme: str = typer.Option(None, "--scheme", help="Rating scheme of the plan's KPIs (default municipal-sabc)"),
             actor: str = ActorOption, db: str = DbOption) -> None:
    """Start a plan for a local body; prints its id."""
    from mieruka.plans import editing

    code = _body_code(body)
    plan_id = _run(db, lambda s: editing.new_plan(s, code, actor, VIA, title=title, scheme=scheme))
    print(plan_id)


@plan_app.command("add")
def plan_add(plan_id: int = typer.Argument(..., help="Plan id (mieruka plan list)"),
             measure: str = typer.Option(..., "--measure", help="National measure number (1–82) or code (01-11)"),
             section: str = typer.Option(None, "--section", help="Responsible section (担当課)"),
             kpi: str = typer.Option(None, "--kpi", help="The body's KPI (default: the measure's national KPI)"),
             baseline: str = typer.Option(None, "--baseline", help="As written, e.g. '2023年度 40件'"),
             target: str = typer.Option(None, "--target", help="As written, e.g. '2027年度までに 100件'"),
             deadline: str = typer.Option(None, "--deadline", help="E.g. 令和9年度 (when the target names none)"),
             schedule: list[str] = typer.Option(None, "--schedule", help="'令和6年度: 取組' (repeat for each year)"),
             actor: str = ActorOption, db: str = DbOption) -> None:
    """Take up a national measure in the plan with the body's section, KPI, numbers and schedule."""
    from mieruka.plans import editing

    form = {"measure": measure, "section": section, "kpi": kpi, "baseline": baseline, "target": target,
            "deadline": deadline, "schedule": _schedule(schedule)}
    pm_id = _run(db, lambda s: editing.add_measure(s, plan_id, form, actor, VIA))
    print(pm_id)


def _plan_measure_id(session, plan_id: int, measure: str) -> int:
    from mieruka.plans import editing
    from mieruka.plans.inputs import PlanInputError
    from mieruka.storage import plans as store

    found = editing.find_measure(session, measure)
    pm_id = store.measure_in_plan(session, plan_id, found["no"])
    if pm_id is None:
        raise PlanInputError("measure", f"施策{found['no']}は計画{plan_id}にありません",
                             f"measure {found['no']} is not in plan {plan_id}")
    return pm_id


@plan_app.command("edit")
def plan_edit(plan_id: int = typer.Argument(...), measure: str = typer.Option(..., "--measure"),
              section: str = typer.Option(None, "--section"), kpi: str = typer.Option(None, "--kpi"),
              baseline: str = typer.Option(None, "--baseline"), target: str = typer.Option(None, "--target"),
              deadline: str = typer.Option(None, "--deadline"),
              schedule: list[str] = typer.Option(None, "--schedule", help="Replaces the whole schedule"),
              actor: str = ActorOption, db: str = DbOption) -> None:
    """Change a chosen measure's fields (the options given); prints what changed, old → new."""
    from mieruka.plans import editing

    form = {"section": section, "kpi": kpi, "baseline": baseline, "target": target, "deadline": deadline,
            "schedule": _schedule(schedule)}
    diff = _run(db, lambda s: editing.edit_measure(s, _plan_measure_id(s, plan_id, measure), form, actor, VIA))
    for name, (old, new) in diff.items():
        print(f"{name}: {old} → {new}")
    if not diff:
        err.print("nothing changed", highlight=False)


@plan_app.command("remove")
def plan_remove(plan_id: int = typer.Argument(...), measure: str = typer.Option(..., "--measure"),
                actor: str = ActorOption, db: str = DbOption) -> None:
    """Take a chosen measure out of the plan (refused once actuals were entered for its KPI)."""
    from mieruka.plans import editing

    _run(db, lambda s: editing.remove_measure(s, _plan_measure_id(s, plan_id, measure), actor, VIA))
    print(f"measure {measure} taken out of plan {plan_id}")


@plan_app.command("actual")
def plan_actual(plan_id: int = typer.Argument(...), measure: str = typer.Option(..., "--measure"),
                value: str = typer.Option(..., "--value", help="As written, e.g. '52件' or '2025年度 52件'"),
                as_of: str = typer.Option(None, "--as-of", help="Date of the actual, e.g. 2026-03-31 or 令和7年度末"),
                actor: str = ActorOption, db: str = DbOption) -> None:
    """Record an actual of a plan KPI; prints the KPI's rating under the plan's scheme."""
    from mieruka.plans import editing

    rating = _run(db, lambda s: editing.record_actual(s, _plan_measure_id(s, plan_id, measure), value, as_of, actor, VIA))
    print(f"{rating['code']} {rating['label']} — {rating['explanation']}" if rating else "－")


def _show_rows(plan: dict) -> list[dict]:
    from mieruka.plans.draft import deadline_label, schedule_lines

    return [{"id": pm["id"], "measure_no": pm["measure_no"], "measure_code": pm["measure_code"],
             "measure_name": pm["measure_name"], "section": pm["section"], "kpi": pm["kpi"],
             "baseline": pm["baseline_text"], "target": pm["target_text"], "deadline": deadline_label(pm["deadline"]),
             "schedule": "; ".join(schedule_lines(pm)),
             "actuals": "; ".join(f"{a['text']} ({a['as_of'].isoformat()})" for a in pm["actuals"]),
             "rating": pm["rating"]["code"] if pm["rating"] else None} for pm in plan["measures"]]


@plan_app.command("show")
def plan_show(plan_id: int = typer.Argument(...), db: str = DbOption, fmt: Format = FormatOption) -> None:
    """The plan's chosen measures with the body's KPIs, schedule, actuals and ratings."""
    from mieruka.storage import plans as store

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        plan = store.plan(session, plan_id)
    if plan is None:
        fail(f"no plan {plan_id} (see mieruka plan list)")
    if fmt is Format.json:
        print(to_json(plan))
        return
    err.print(f"{plan['title']} — {plan['prefecture']}{plan['body_name']} ({plan['body_code']}), scheme {plan['scheme']}, "
              f"{len(plan['measures'])} measure(s)", highlight=False)
    print_rows(_show_rows(plan), fmt, columns=SHOW_COLUMNS, table_columns=TABLE_COLUMNS)


@plan_app.command("list")
def plan_list(body: str = typer.Option(None, "--body"), db: str = DbOption, fmt: Format = FormatOption) -> None:
    """Every plan (of one body with --body)."""
    from mieruka.storage import plans as store

    code = _body_code(body) if body else None
    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        rows = [{"id": p["id"], "body_code": p["body_code"], "body": f"{p['prefecture']}{p['body_name']}",
                 "title": p["title"], "measures": len(p["measures"]), "scheme": p["scheme"],
                 "updated_by": p["updated_by"], "updated_at": p["updated_at"]} for p in store.plans(session, code)]
    print_rows(rows, fmt, columns=["id", "body_code", "body", "title", "measures", "scheme", "updated_by", "updated_at"])


@plan_app.command("export")
def plan_export(plan_id: int = typer.Argument(...),
                files: list[Path] = typer.Argument(..., help="Files to write: .docx (the draft) and/or .xlsx (個別施策)"),
                db: str = DbOption) -> None:
    """Write the plan's draft: DOCX in the seven chapters, XLSX of the 個別施策 table."""
    from mieruka.plans import draft

    for f in files:
        if f.suffix.lower() not in (".docx", ".xlsx"):
            fail(f"{f}: give a .docx or .xlsx file name")
    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        found = draft.plan_files(session, plan_id)
    if found is None:
        fail(f"no plan {plan_id} (see mieruka plan list)")
    plan, annex = found
    for f in files:
        content = draft.docx_bytes(plan, annex) if f.suffix.lower() == ".docx" else draft.xlsx_bytes(plan, annex)
        try:
            f.write_bytes(content)
        except OSError as exc:
            fail(f"{f}: cannot write ({exc.strerror})")
        print(f"{f}: {len(plan['measures'])} measure(s), {len(content):,} bytes")


@plan_app.command("import")
def plan_import(file: Path = typer.Argument(..., help="CSV (UTF-8 or Shift_JIS) or XLSX: 団体コード/団体名, 施策番号, "
                                                      "担当課, KPI, 基準値, 目標値, 目標年度, スケジュール"),
                actor: str = ActorOption, db: str = DbOption, fmt: Format = FormatOption) -> None:
    """Add the chosen measures of many bodies at once (a new plan for a body that has none); one bad row and nothing
    is written."""
    from mieruka.plans.choices import ChoicesError, import_choices

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read ({exc.strerror})")
    storage.ensure_schema(db)
    try:
        report = storage.in_transaction(db, lambda session: import_choices(session, data, file.name, actor, via="bulk"))
    except ChoicesError as exc:
        fail(f"{file.name}: nothing imported\n" + "\n".join(exc.problems))
    rows = [{"body_code": code, "plan_id": pid, "new_plan": pid in report.plans_created}
            for code, pid in report.plans.items()]
    print_rows(rows, fmt)
    err.print(f"{len(report.plans)} plan(s), {len(report.plans_created)} new; {report.measures_added} measure(s) added, "
              f"{report.measures_changed} changed", highlight=False)
