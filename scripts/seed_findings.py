"""Every audit finding on the five seed documents as a Markdown table (kind, KPI, the lines it cites, the finding),
for docs/evaluate.md; tests/test_audit_measures.py checks that the doc holds this script's output.

    PYTHONPATH=src python scripts/seed_findings.py ../shared/seeds 2025-01-01
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

START, END = "<!-- seed-findings:start -->", "<!-- seed-findings:end -->"
MESSAGE_CHARS = 140


def _short(text: str, limit: int) -> str:
    text = text.replace("|", "｜").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def findings(seeds: Path, as_of: date) -> list:
    from mieruka import storage
    from mieruka.evaluate import schemes
    from mieruka.evaluate.audit import audit
    from mieruka.loading.documents import ingest_paths
    from mieruka.storage.queries import kpi_rows
    from mieruka.storage.ratings import count_text_rows, policy_result_rows

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'seeds.db'}"
        ingest_paths([seeds], url)
        with storage.session_scope(url) as s:
            rows, results, texts = kpi_rows(s), policy_result_rows(s), count_text_rows(s)
        storage.dispose_engines()
    return audit(rows, [schemes.load(n) for n in sorted(schemes.available())], as_of, results, texts=texts)


def table(found: list) -> str:
    out = ["| kind | KPI (or reform item) | lines cited | finding |", "|---|---|---|---|"]
    for f in found:
        lines = ", ".join(f"{(s['document'] or '?')[:3]}:{s['line']}" for s in f.sources)
        out.append(f"| {f.kind} | {_short(f.kpi, 40)} | {lines} | {_short(f.message, MESSAGE_CHARS)} |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    seeds = Path(argv[1]) if len(argv) > 1 else Path("../shared/seeds")
    as_of = date.fromisoformat(argv[2]) if len(argv) > 2 else date(2025, 1, 1)
    print(table(findings(seeds, as_of)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
