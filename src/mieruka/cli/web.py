"""Commands that serve the web application: `mieruka serve` over any database, `mieruka demo` as `make demo` runs it."""
from __future__ import annotations

import typer

from mieruka.cli.app import DbOption, app, err

HostOption = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)")
PortOption = typer.Option(8000, "--port", help="TCP port")


def _serve(db: str | None, host: str, port: int) -> None:
    import uvicorn

    from mieruka.web import create_app

    web_app = create_app(db)
    shown = f"[{host}]" if ":" in host else host
    print(f"mieruka: serving {web_app.state.db_url} at http://{shown}:{port}/ (Ctrl+C stops)", flush=True)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


@app.command("serve")
def serve_cmd(db: str = DbOption, host: str = HostOption, port: int = PortOption) -> None:
    """Serve the pages and the JSON API (/api/) over the database."""
    _serve(db, host, port)


@app.command("demo")
def demo_cmd(db: str = DbOption, host: str = HostOption, port: int = PortOption) -> None:
    """Serve the bundled sample: load it when the database has no document, rate it under every scheme file
    that has no computed rating yet, then serve."""
    from mieruka.web.evaluation import demo_database

    loaded, rated, when = demo_database(db)
    if loaded:
        err.print(f"loaded the bundled sample: {loaded} document(s)", highlight=False)
    if rated:
        err.print(f"rated every KPI under {', '.join(rated)} as of {when} (the newest observation)",
                  highlight=False, soft_wrap=True)
    _demo_admin(db)
    _serve(db, host, port)


def _demo_admin(db: str | None) -> None:
    from mieruka import storage
    from mieruka.accounts.service import demo_admin

    with storage.session_scope(db) as session:
        made = demo_admin(session)
    if made:
        # printed this once only: the database keeps nothing but its Argon2 hash
        print(f"mieruka: sign in at /signin as {made[0]} with the password {made[1]} (shown only now)", flush=True)
