"""Storage: models, migrations and queries. The only package that talks SQL."""
from mieruka.storage.db import (  # noqa: F401
    current_revision,
    document_count,
    downgrade,
    dispose_engines,
    ensure_schema,
    get_engine,
    reader_timeout_ms,
    resolve_url,
    session_scope,
    table_names,
    upgrade,
)
