"""storage.overview.last_ingest_changes: what the most recent ingest run added, as the overview page reports it."""
from __future__ import annotations

from datetime import date, datetime, timezone

import webdata
from mieruka import storage
from mieruka.records import extraction as r
from mieruka.storage.overview import data_version, last_ingest_changes


def _later_document() -> r.Extraction:
    src = r.Source(line=2, text="")
    return r.Extraction(family="reform-schedule", title="翌年の進捗", doc_date=date(2018, 10, 1), kpis=[
        r.KpiRecord(name="総合窓口の導入", source=src, tier=1, unit="団体",
                    observations=[r.ObservationRecord(text="250団体 (2018年4月確報値)", source=src, value=250.0,
                                                      unit="団体", as_of=date(2018, 4, 1), status="final")],
                    ratings=[r.RatingRecord(scheme="reform-schedule", code="A", source=src)]),
        r.KpiRecord(name="窓口業務の標準化に取り組む団体数", source=r.Source(line=3), tier=1),
    ])


def test_a_later_run_reports_new_kpis_new_values_and_changed_ratings(tmp_path):
    url = f"sqlite:///{tmp_path / 'changes.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        first = last_ingest_changes(s)
        version = data_version(s)
    assert first["first_run"] is True
    assert [d["file_name"] for d in first["documents"]] == ["schedule.txt", "catalogue.json", "platform.txt"]

    webdata.store_document(url, "schedule-2018.txt", _later_document(), "見出し\n行2\n行3",
                   datetime(2024, 6, 1, tzinfo=timezone.utc))
    with storage.session_scope(url) as s:
        later = last_ingest_changes(s)
        assert data_version(s) != version
    assert later["first_run"] is False
    assert [d["file_name"] for d in later["documents"]] == ["schedule-2018.txt"]
    assert [k["name"] for k in later["new_kpis"]] == ["窓口業務の標準化に取り組む団体数"]
    assert [(o["kpi"], o["value"], o["status"]) for o in later["new_observations"]] == [("総合窓口の導入", 250.0, "final")]
    assert [(c["kpi"], c["before"], c["after"]) for c in later["rating_changes"]] == [("総合窓口の導入", "B", "A")]
    storage.dispose_engines()
