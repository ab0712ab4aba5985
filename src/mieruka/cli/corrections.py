"""`mieruka round correct|amend`: the secretariat corrects a published edition from the shell. `correct` opens the
correction round (copies of what the edition published), `amend` changes one KPI's report in it and approves it,
`mieruka round publish` publishes it as a new edition naming the one it corrects."""
from __future__ import annotations

import typer

from mieruka.cli.app import DbOption, fail
from mieruka.cli.cycle import AsOption, _acting, _run, round_app


@round_app.command("correct")
def round_correct(ref: str = typer.Argument(..., help="The published round (id or name) to correct"),
                  note: str = typer.Option(..., "--note", help="What is corrected and why (shown with the edition)"),
                  name: str = typer.Option(None, "--name", help="The correction round's name (default: …(訂正1))"),
                  actor: str = AsOption, db: str = DbOption) -> None:
    """Open a correction of a published edition: a new round holding a submitted copy of each published report."""
    from mieruka.workflow import corrections, rounds

    done = _run(db, lambda s: rounds.status(s, corrections.open_correction(
        s, _acting(s, actor), rounds.get(s, ref), note, name, via="cli")))
    print(f"opened correction {done['id']} {done['name']}: {done['submitted']} report(s) copied; change them with "
          f"`mieruka round amend {done['id']} KPI field=value`, then `mieruka round publish {done['id']}`")


@round_app.command("amend")
def round_amend(ref: str = typer.Argument(..., help="The correction round (id or name)"),
                kpi: int = typer.Argument(..., help="The KPI's id"),
                fields: list[str] = typer.Argument(..., help="field=value, e.g. actual_text='950団体 (2018年4月速報値)'"),
                approve_target: bool = typer.Option(False, "--approve-target", help="Approve a target change too"),
                actor: str = AsOption, db: str = DbOption) -> None:
    """Change one KPI's report in a correction and approve it (what the correction will publish for it)."""
    from mieruka.workflow import corrections, rounds
    from mieruka.workflow.reports import FIELDS, InvalidReport

    form = {}
    for item in fields:
        key, eq, value = item.partition("=")
        if not eq or key not in FIELDS:
            fail(f"{item!r}: give field=value with a field among {', '.join(FIELDS)}")
        form[key] = value

    def amend(s):
        try:
            report, changes = corrections.amend(s, _acting(s, actor), rounds.get(s, ref), kpi, form, approve_target,
                                                via="cli")
        except InvalidReport as exc:  # nothing is kept: the failure rolls the transaction back
            fail("; ".join(f"{p.text('en')} / {p.text('ja')}" for p in exc.problems))
        target_moved = any(f.startswith("target_") for f in changes)
        return (report.id, report.version, bool(changes), report.target_value is not None, report.target_approved,
                target_moved)

    report_id, version, changed, has_target, target_approved, target_moved = _run(db, amend)
    if not changed:
        print(f"nothing changed: report {report_id} (KPI {kpi}) already holds these values and is approved; no "
              f"version added (it stays version {version}) / 変更はありません(版は {version} のまま)")
        return
    target = ""
    if has_target:  # what the edition will publish of the report's target change, said with the approval
        # an amendment that left the target alone did not approve it: it kept the approval it had
        target = ("; its target change is NOT approved and will not be published (--approve-target approves it)"
                  if not target_approved else "; its target change is approved too" if target_moved else
                  "; its target is unchanged and stays approved")
    print(f"amended and approved report {report_id} (KPI {kpi}), version {version}{target}")
