"""Account commands: `mieruka users add|list|disable|enable|role` and `mieruka log` (the security log).
A password is read from a prompt or from standard input (--password-stdin), never from an argument."""
from __future__ import annotations

import sys

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, fail
from mieruka.export.formats import Format, print_rows

users_app = typer.Typer(help="Accounts of the reporting cycle: add, list, disable, enable, change role.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")

OrgOption = typer.Option(None, "--org", help="An organisation a reporter reports for (repeat for several), e.g. 総務省")
LocalOption = typer.Option(None, "--local-body", help="The 6-digit code of a local reporter's local body")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("password (again)", hide_input=True)
    if first != second:
        fail("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
def users_add(login: str = typer.Argument(..., help="Login name"),
              role: str = typer.Option(..., "--role", help="admin, secretariat, reporter or local"),
              name: str = typer.Option(None, "--name", help="Display name (default: the login)"),
              org: list[str] = OrgOption, local_body: str = LocalOption,
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
              db: str = DbOption) -> None:
    """Add an account; the password is prompted for (or read from stdin) and must meet the stated rule."""
    from mieruka.accounts.service import AccountError, create_user

    password = _read_password(password_stdin)
    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            p = create_user(session, login, name or login, password, role, organisations=org or [],
                            local_body=local_body, actor="cli")
    except AccountError as exc:
        fail(f"{exc.field or 'account'}: {exc.message['en']}")
    orgs = f" for {', '.join(p.organisations.values())}" if p.organisations else ""
    print(f"added {p.login} ({p.role}{orgs})")


@users_app.command("list")
def users_list(fmt: Format = FormatOption, db: str = DbOption) -> None:
    """Every account with its role, organisations and whether it is active."""
    from mieruka.accounts.service import list_users

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        rows = list_users(session)
    print_rows(rows, fmt)


def _set_active(login: str, active: bool, db: str | None) -> None:
    from mieruka.accounts.service import AccountError, set_active

    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            set_active(session, login, active, actor="cli")
    except AccountError as exc:
        fail(exc.message["en"])
    print(f"{'enabled' if active else 'disabled'} {login}")


@users_app.command("disable")
def users_disable(login: str = typer.Argument(...), db: str = DbOption) -> None:
    """Disable an account and end its sessions (the account and its history stay)."""
    _set_active(login, False, db)


@users_app.command("enable")
def users_enable(login: str = typer.Argument(...), db: str = DbOption) -> None:
    """Enable a disabled account again."""
    _set_active(login, True, db)


@users_app.command("role")
def users_role(login: str = typer.Argument(...),
               role: str = typer.Argument(..., help="admin, secretariat, reporter or local"),
               org: list[str] = OrgOption, local_body: str = LocalOption, db: str = DbOption) -> None:
    """Change an account's role (and a reporter's organisations); its sessions end."""
    from mieruka.accounts.service import AccountError, set_role

    storage.ensure_schema(db)
    try:
        with storage.session_scope(db) as session:
            p = set_role(session, login, role, organisations=org or [], local_body=local_body, actor="cli")
    except AccountError as exc:
        fail(f"{exc.field or 'role'}: {exc.message['en']}")
    print(f"{p.login} is now {p.role}" + (f" for {', '.join(p.organisations.values())}" if p.organisations else ""))


@app.command("log")
def log_cmd(limit: int = typer.Option(200, "--limit", min=1, help="The newest N events"),
            event: str = typer.Option(None, "--event", help="Only this event (sign_in, sign_in_failed, lockout …)"),
            fmt: Format = FormatOption, db: str = DbOption) -> None:
    """The security log: sign-ins, failures, lock-outs, account and role changes, publishing. Oldest first."""
    from mieruka.accounts.service import events

    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        rows = events(session, limit, event)
    print_rows(rows, fmt)
