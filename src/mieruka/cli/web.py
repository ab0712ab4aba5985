"""Commands that serve the web application: `mieruka serve` over any database, `mieruka demo` as `make demo` runs it."""
from __future__ import annotations

import errno
import os

import typer

from mieruka.cli.app import DbOption, app, err, fail

HostOption = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only); "
                          "on 0.0.0.0, set MIERUKA_ALLOWED_HOSTS to the host names users will type")
PortOption = typer.Option(8000, "--port", help="TCP port")


WorkersOption = typer.Option(1, "--workers", min=1, max=64,
                             help="Server processes sharing the port (use PostgreSQL as the store beyond one)")
ReadDbOption = typer.Option(None, "--read-db", envvar="MIERUKA_READ_DATABASE_URL",
                            help="Database URL the requests read from (a read replica); default: --db")


def _serve(db: str | None, host: str, port: int, workers: int = 1, read_db: str | None = None) -> None:
    import gc

    import uvicorn

    from mieruka import storage
    from mieruka.web import create_app

    missing = storage.missing_sqlite_file(db)
    if missing is not None:
        fail(f"no database file at {missing}: load documents into it first (mieruka ingest FILE... --db {missing}), "
             "or run mieruka demo to serve the bundled sample.")
    _refuse_busy_port(host, port)
    web_app = create_app(db, read_db, hosts=[host])  # the address asked for is a host name the app answers
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::") and not os.environ.get("MIERUKA_ALLOWED_HOSTS"):
        err.print("mieruka: only requests for localhost and 127.0.0.1 are answered; set MIERUKA_ALLOWED_HOSTS to the "
                  "names users will type (e.g. MIERUKA_ALLOWED_HOSTS=mieruka.example.lg.jp)", highlight=False,
                  soft_wrap=True)
    read = "" if web_app.state.read_url == web_app.state.db_url else f", reading from {web_app.state.read_url}"
    several = f" with {workers} workers" if workers > 1 else ""
    print(f"mieruka: serving {web_app.state.db_url}{read} at http://{shown}:{port}/{several} (Ctrl+C stops)",
          flush=True)
    if workers > 1:
        # Each worker builds its app from the environment (uvicorn starts them from an import string).
        os.environ["MIERUKA_DATABASE_URL"] = web_app.state.db_url
        os.environ["MIERUKA_READ_DATABASE_URL"] = web_app.state.read_url
        os.environ["MIERUKA_SERVE_HOST"] = host
        storage.dispose_engines()
        uvicorn.run("mieruka.web.app:worker_app", factory=True, workers=workers, host=host, port=port,
                    log_level="warning")
        return
    # The ~140k objects alive after start-up (plotly, numpy, SQLAlchemy) are never garbage: keeping them out of
    # the collector's full passes takes its ~100 ms pauses off the requests.
    gc.freeze()
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


def _refuse_busy_port(host: str, port: int) -> None:
    """Exit with a plain message when another program listens on the port, before anything claims to serve."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing port is free
        try:
            probe.bind((host, port))
        except PermissionError:
            fail(f"port {port} on {host} needs administrator rights; give --port a number above 1023 (e.g. --port 8000)")
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is in use by another program; stop that program, or give --port another "
                     f"number (e.g. --port {port + 1})")
            fail(f"cannot listen on {host}:{port} ({exc.strerror}); check the --host address")


@app.command("serve")
def serve_cmd(db: str = DbOption, host: str = HostOption, port: int = PortOption, workers: int = WorkersOption,
              read_db: str = ReadDbOption) -> None:
    """Serve the pages and the JSON API (/api/) over the database."""
    _serve(db, host, port, workers, read_db)


@app.command("demo")
def demo_cmd(db: str = DbOption, host: str = HostOption, port: int = PortOption) -> None:
    """Serve the bundled sample: load it when the database has no document, rate it under every scheme file
    that has no computed rating yet and audit it as of the same date, then serve."""
    from mieruka.web.evaluation import demo_database

    loaded, rated, when = demo_database(db)
    if loaded:
        err.print(f"loaded the bundled sample: {loaded} document(s)", highlight=False)
    if rated:
        err.print(f"rated every KPI under {', '.join(rated)} as of {when} (the newest observation)",
                  highlight=False, soft_wrap=True)
    err.print(f"the pages show the published ratings, mieruka's recomputation beside them, and the audit, all as of "
              f"{when}", highlight=False, soft_wrap=True)
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
