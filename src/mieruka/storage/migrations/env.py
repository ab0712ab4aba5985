"""Alembic environment: runs on the connection storage.db hands over, or on the configured URL.
Every pending migration runs in one transaction: SQLite and PostgreSQL roll DDL back, so an interrupted upgrade
leaves the schema as it was, never tables without a revision."""
from alembic import context

from mieruka.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # storage's engine: on SQLite it issues BEGIN itself, which pysqlite would not do before DDL
        from mieruka.storage.db import get_engine

        with get_engine(config.get_main_option("sqlalchemy.url")).execution_options(writer=True).begin() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


run()
