"""Reporting-round commands: `mieruka round open|status|close|publish`. Acting commands name the secretariat
account they act as (--as); the security log and each report's history record it with `via = cli`."""
from __future__ import annotations

from datetime import date

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, fail
from mieruka.export.formats import Format, print_rows

round_app = typer.Typer(help="Reporting rounds: open, status, close, publish.", no_args_is_help=True)
app.add_typer(round_app, name="round")

AsOption = typer.Option(..., "--as", help="The login of the secretariat account this is done as")


def _date(text: str, option: str) -> date:
    from mieruka.jp import ParseError, parse_date

    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            found = parse_date(text)
        except (ParseError, ValueError):
            found = None
        if found is None:
            fail(f"{option}: {text!r} is not a date (e.g. 2019-03-31)")
        return found


def _acting(session, login: str):
    from mieruka.accounts.service import principal
    from mieruka.storage.accounts import user_by_login

    user = user_by_login(session, login)
    if user is None or not user.active:
        fail(f"--as: no active account {login!r}")
    if user.role != "secretariat":
        fail(f"--as: {login} is {user.role}; rounds are managed by a secretariat account")
    return principal(session, user)


def _run(db: str | None, action):
    from mieruka.workflow.reports import WorkflowError

    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            return action(session)
    except WorkflowError as exc:
        fail(exc.message["en"])


@round_app.command("open")
def round_open(name: str = typer.Argument(..., help="e.g. 「2019年度 進捗報告」"),
               as_of: str = typer.Option(..., "--as-of", help="The date the reports speak for"),
               deadline: str = typer.Option(..., "--deadline", help="The reporters' deadline"),
               actor: str = AsOption, db: str = DbOption) -> None:
    """Open a round: every KPI with an owning organisation gets a draft report."""
    from mieruka.workflow import rounds

    when, until = _date(as_of, "--as-of"), _date(deadline, "--deadline")
    status = _run(db, lambda s: rounds.status(s, rounds.open_round(s, _acting(s, actor), name, when, until, via="cli")))
    print(f"opened round {status['id']} {status['name']}: {status['draft']} report(s) to fill in by {until}")


@round_app.command("status")
def round_status(ref: str = typer.Argument(None, help="Round id or name (default: every round)"),
                 fmt: Format = FormatOption, db: str = DbOption) -> None:
    """Each round's state and how many reports are in each state."""
    from mieruka.storage.workflow import all_rounds
    from mieruka.workflow import rounds

    rows = _run(db, lambda s: [rounds.status(s, r) for r in ([rounds.get(s, ref)] if ref else all_rounds(s))])
    print_rows(rows, fmt)


@round_app.command("close")
def round_close(ref: str = typer.Argument(..., help="Round id or name"), actor: str = AsOption,
                db: str = DbOption) -> None:
    """Close a round to reporters (the secretariat can still review)."""
    from mieruka.workflow import rounds

    _run(db, lambda s: rounds.close_round(s, _acting(s, actor), rounds.get(s, ref)))
    print(f"closed {ref}")


@round_app.command("publish")
def round_publish(ref: str = typer.Argument(..., help="Round id or name"), actor: str = AsOption,
                  db: str = DbOption) -> None:
    """Publish the approved reports as the round's edition; it can never be changed afterwards."""
    from mieruka.workflow import rounds

    done = _run(db, lambda s: rounds.publish(s, _acting(s, actor), rounds.get(s, ref)))
    print(f"published {done.round.name}: {done.reports} report(s), {done.observations} observation(s), "
          f"{done.targets} target(s), {done.ratings} rating(s); recomputed {', '.join(done.rerated) or 'no'} ratings")


@round_app.command("survey")
def round_survey(ref: str = typer.Argument(..., help="Round id or name"),
                 initiative: str = typer.Option(..., "--initiative", help="The initiative asked about, e.g. 窓口委託"),
                 as_of: str = typer.Option(..., "--as-of", help="The date the answers describe"),
                 actor: str = AsOption, db: str = DbOption) -> None:
    """Ask every municipality a survey within an open round: each body's `local` account answers it on /my."""
    from mieruka.workflow import rounds, surveys
    from mieruka.workflow.reports import InvalidReport

    when = _date(as_of, "--as-of")

    def open_it(s):
        try:
            request = surveys.open_survey(s, _acting(s, actor), rounds.get(s, ref).id, initiative, when, via="cli")
        except InvalidReport as exc:
            fail("; ".join(x.text("en") for x in exc.problems))
        return request.id, request.initiative, len(surveys.store.answers(s, request_ids=[request.id]))

    request_id, name, answers = _run(db, open_it)
    print(f"opened survey {request_id} ({name}, as of {when}): {answers} local bodies to answer")
