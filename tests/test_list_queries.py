"""The lists' SQL (storage.summaries, storage.measure_lists) gives what the Python of web.listings gives over every
row, on SQLite and PostgreSQL: the same rows in the same order for each filter and sort, the same facet counts."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import pytest

import webdata
from mieruka import storage
from mieruka.storage import models as m
from mieruka.storage.measure_lists import measure_facets, measure_page
from mieruka.storage.queries import kpi_rows, measure_rows
from mieruka.storage.summaries import KpiQuery, kpi_count, kpi_page, refresh_summaries
from mieruka.web.listings import KPI_COLUMNS, KPI_SORTS, MeasureFilter, kpi_table, measure_table

COMPARED = KPI_COLUMNS  # with the dates' precisions


@pytest.fixture
def lists_db(db_url):
    webdata.build(db_url)
    with storage.session_scope(db_url) as s:
        # a KPI of another ministry with no rating, no reform item and a name in full-width letters: None-last sorting,
        # NFKC matching and code-point order all get exercised
        s.add(m.Organisation(name="デジタル庁"))
        s.flush()
        org = s.query(m.Organisation).filter_by(name="デジタル庁").one()
        s.add(m.Kpi(key="extra", name="ＡＩ導入団体数", tier=1, direction="up", organisation_id=org.id))
        s.flush()
        kpi = s.query(m.Kpi).filter_by(key="extra").one()
        s.add(m.Observation(kpi_id=kpi.id, value=12.0, as_of=date(2019, 3, 31), text="12団体", document_id=1))
        s.add(m.Rating(kpi_id=kpi.id, scheme="reform-schedule", code="C", official=False, as_of=date(2016, 1, 1),
                       computed_at=datetime.now(timezone.utc)))
        refresh_summaries(s, [kpi.id])
    return db_url


def test_kpi_list_sql_matches_the_python_listing_for_every_sort_and_filter(lists_db):
    filters = [{}, {"tier": 1}, {"rating": "B"}, {"rating": "A"}, {"ministry": "総務省"}, {"q": "窓口"}, {"q": "ai"},
               {"q": "アウトソーシング 窓口"}, {"item": 1}, {"q": "100%_"}, {"basis": "official"},
               {"basis": "computed", "rating": "A"}, {"as_of": date(2016, 1, 1)}, {"as_of": date(2015, 1, 1)},
               {"basis": "official", "as_of": date(2015, 1, 1), "rating": "B"}]
    with storage.session_scope(lists_db) as s:
        everything = kpi_rows(s)
        for extra, sort, desc in itertools.product(filters, KPI_SORTS, (False, True)):
            q = KpiQuery(sort=sort, desc=desc, **extra)
            expected = [[r[c] for c in COMPARED] for r in kpi_table(everything, q)]
            got = [[r[c] for c in COMPARED] for r in kpi_page(s, q, None)]
            assert got == expected, (extra, sort, desc)
            assert kpi_count(s, q) == len(expected)
            assert [r["id"] for r in kpi_page(s, q, 2, 1)] == [r[0] for r in expected[1:3]]


def test_measure_facets_and_pages_match_the_python_listing(lists_db):
    with storage.session_scope(lists_db) as s:
        everything = measure_rows(s)
        chosen_sets = [{}, {"effect": "economy"}, {"ministry": "総務省"}, {"lead": "総務省"}, {"pillar": "no such"},
                       {"effect": "safety", "ministry": "経済産業省"}]
        for chosen in chosen_sets:
            for hits in (None, [m["id"] for m in reversed(everything)]):
                rows, facets = measure_table(everything, MeasureFilter(**chosen), hits)
                total, page = measure_page(s, chosen, hits, None)
                assert (total, [r["id"] for r in page]) == (len(rows), [r["id"] for r in rows]), (chosen, hits)
                assert page == rows
                assert measure_facets(s, chosen, hits) == facets, (chosen, hits)
