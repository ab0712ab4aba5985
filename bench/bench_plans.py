"""Benchmark: a prefecture's bulk drafts — a spreadsheet of choices for all 33 municipalities of 神奈川県 × 5 measures
(165 rows) imported into a fresh SQLite file holding the catalogue, then one plan with all 82 measures exported as
DOCX and XLSX. Target: import under 10 s, each export under 2 s. Prints medians of 3 runs; exits 1 over target."""
from __future__ import annotations

import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import plandata  # noqa: E402

from mieruka import storage  # noqa: E402
from mieruka.bodies import registry  # noqa: E402
from mieruka.plans import draft, editing  # noqa: E402
from mieruka.plans.choices import import_choices  # noqa: E402

IMPORT_TARGET, EXPORT_TARGET = 10.0, 2.0


def choices_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["団体コード", "施策番号", "担当課", "KPI", "基準値", "目標値", "目標年度", "スケジュール"])
    for body in (b for b in registry.municipalities() if b.prefecture == "神奈川県"):
        for no, _, section, kpi, baseline, target, deadline, schedule in plandata.CHOICES:
            writer.writerow([body.code, no, section, kpi or "", baseline, target, deadline, schedule.replace("\n", ";")])
    return out.getvalue().encode("utf-8")


def median_seconds(action, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    data = choices_csv()
    rows = data.count(b"\n") - 1  # the header
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        plandata.build(url, Path(tmp))

        def import_once():
            # each run into a database where the plans already exist: every row is checked and compared again
            with storage.session_scope(url) as s:
                import_choices(s, data, "choices.csv", "bench")

        first = time.perf_counter()
        import_once()
        first = time.perf_counter() - first
        again = median_seconds(import_once)
        with storage.session_scope(url) as s:
            plan_id = editing.new_plan(s, plandata.EBINA, "bench", "bench", title="全施策")
            for no in range(1, 83):
                editing.add_measure(s, plan_id, {"measure": str(no), "baseline": "2023年度 10件",
                                                 "target": "2027年度 20件", "schedule": "令和6年度: 着手\n令和7年度: 実施"},
                                    "bench", "bench")
            plan, annex = draft.plan_files(s, plan_id)
        docx = median_seconds(lambda: draft.docx_bytes(plan, annex))
        xlsx = median_seconds(lambda: draft.xlsx_bytes(plan, annex))
        storage.dispose_engines()
    print(f"bulk import, {rows} rows (33 bodies × 5 measures): first {first:.2f} s (plans created), "
          f"again {again:.2f} s median (target {IMPORT_TARGET:.0f} s)")
    print(f"82-measure plan: DOCX {docx:.2f} s, XLSX {xlsx:.2f} s median (target {EXPORT_TARGET:.0f} s each)")
    return 0 if max(first, again) < IMPORT_TARGET and max(docx, xlsx) < EXPORT_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
