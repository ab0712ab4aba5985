"""Every audit finding over a database: the document audit plus bottom-up survey mismatches.
The one entry point the CLI and the web app share, so both list the same findings."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mieruka.evaluate.audit import Finding
from mieruka.evaluate.schemes import Scheme, available, load


def all_schemes() -> list[Scheme]:
    return [load(name) for name in sorted(available())]


def audit_session(session: Session, as_of: date, schemes: list[Scheme] | None = None) -> list[Finding]:
    """Audit now (nothing stored): a chunk of KPIs at a time, see evaluate.stored.audit_bulk."""
    from mieruka.evaluate.stored import audit_bulk

    return audit_bulk(session, as_of, schemes or all_schemes())
