"""Storage: models, migrations and queries. The only package that talks SQL."""
from mieruka.storage.db import (  # noqa: F401
    SchemaError,
    current_revision,
    document_count,
    downgrade,
    dispose_engines,
    ensure_schema,
    get_engine,
    in_transaction,
    reader_timeout_ms,
    repair,
    resolve_read_url,
    resolve_url,
    session_scope,
    table_names,
    upgrade,
)
