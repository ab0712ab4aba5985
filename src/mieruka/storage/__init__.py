"""Storage: models, migrations and queries. The only package that talks SQL."""
from mieruka.storage.db import (  # noqa: F401
    SchemaError,
    current_revision,
    document_count,
    downgrade,
    dispose_engines,
    ensure_schema,
    get_engine,
    resolve_read_url,
    in_transaction,
    repair,
    resolve_url,
    session_scope,
    table_names,
    upgrade,
)
