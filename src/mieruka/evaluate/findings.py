"""Every audit finding over a database: the document audit plus bottom-up survey mismatches.
The one entry point the CLI and the web app share, so both list the same findings."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mieruka.evaluate.audit import Finding, audit
from mieruka.evaluate.schemes import Scheme, available, load


def all_schemes() -> list[Scheme]:
    return [load(name) for name in sorted(available())]


def audit_session(session: Session, as_of: date, schemes: list[Scheme] | None = None) -> list[Finding]:
    from mieruka.evaluate.bottom_up import findings as bottom_up_findings
    from mieruka.storage.queries import kpi_rows
    from mieruka.storage.ratings import policy_result_rows

    found = audit(kpi_rows(session), schemes or all_schemes(), as_of, policy_result_rows(session))
    for f in bottom_up_findings(session):
        found.append(Finding(kind=f["kind"], kpi_id=f["kpi_id"], kpi=f["kpi"], message=f["message"],
                             message_en=f["message_en"], sources=f["sources"]))
    return found
