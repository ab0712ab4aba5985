"""The JSON API under /api/ and the table downloads (CSV with BOM, XLSX, JSON) on the web-test database."""
from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from openpyxl import load_workbook

import webdata
from mieruka import storage
from mieruka.web import create_app
from mieruka.web import schemas as s
from mieruka.web.listings import CASE_COLUMNS, DOCUMENT_COLUMNS, KPI_COLUMNS, MEASURE_COLUMNS


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'api.db'}"
    webdata.build(url)
    yield TestClient(create_app(url))
    storage.dispose_engines()


def get(client, url: str):
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_kpis_are_paged_and_filtered(client):
    body = get(client, "/api/kpis?limit=2&offset=2")
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 2)
    assert [k["id"] for k in body["items"]] == [3, 4]
    assert [k["name"] for k in get(client, "/api/kpis?tier=2")["items"]] == ["歳出効率化の成果(事後的に検証する指標)"]
    assert [k["id"] for k in get(client, "/api/kpis?rating=A&sort=name")["items"]] == [3]  # published A
    assert [k["id"] for k in get(client, "/api/kpis?rating=A&basis=computed")["items"]] == [1]  # recomputed A
    assert get(client, "/api/kpis?q=存在しない")["total"] == 0


def test_kpi_list_item_carries_what_the_list_shows(client):
    k = get(client, "/api/kpis?limit=1")["items"][0]
    assert k["rating"] == {"scheme": "reform-schedule", "code": "B", "basis": "official", "official": "B", "computed": "A",
                           "as_of": "2017-04-01"}
    # each date says how precisely the document gave it: 「2014年度 208団体」 is the 年度, stored at its 31 March
    assert k["baseline"] == {"value": 208.0, "unit": "団体", "as_of": "2015-03-31", "text": "2014年度 208団体",
                             "as_of_precision": "fiscal_year"}
    assert k["latest"] == {"value": 301.0, "unit": "団体", "as_of": "2017-04-01", "status": "preliminary",
                           "text": "301団体 (2017年4月速報値)", "as_of_precision": "month"}
    assert k["target"] == {"value": 416.0, "deadline": "2021-03-31", "unset": False, "text": "2020年度までに 416団体",
                           "deadline_precision": "fiscal_year"}
    assert "observations" not in k and "targets" not in k
    assert k["ministry"] == "総務省" and k["next_measurement_date"] == "2018-03-01"


def test_kpi_item_carries_values_sources_and_the_rating_under_the_scheme(client):
    k = get(client, "/api/kpis?limit=1&include=observations")["items"][0]
    assert k["rating"] == {"scheme": "reform-schedule", "code": "B", "basis": "official", "official": "B", "computed": "A",
                           "as_of": "2017-04-01"}
    assert k["baseline"]["value"] == 208.0 and k["baseline"]["as_of"] == "2015-03-31"
    assert k["targets"][0]["deadline"] == "2021-03-31" and k["targets"][0]["source"]["line"] == 4
    assert k["observations"][0] == {"value": 301.0, "unit": "団体", "as_of": "2017-04-01", "status": "preliminary",
                                    "text": "301団体 (2017年4月速報値)", "as_of_precision": "month",
                                    "source": {"document": "schedule.txt", "document_id": 1, "line": 4}}
    assert k["ministry"] == "総務省" and k["documents"] == ["schedule.txt"]
    assert k["next_measurement_date"] == "2018-03-01"


def test_kpi_detail_lists_every_evaluation(client):
    k = get(client, "/api/kpis/1")
    assert [(e["scheme"], e["code"], e["official"]) for e in k["evaluations"]] == [
        ("reform-schedule", "B", True), ("reform-schedule", "A", False)]
    assert k["evaluations"][1]["explanation_en"] == "301, above the planned 289"
    assert k["appearances"][0]["name"] == "- 1 窓口業務のアウトソーシング"
    r = client.get("/api/kpis/999")
    assert r.status_code == 404 and r.json() == {"detail": "KPI 999 は見つかりません。", "errors": []}
    assert client.get("/api/kpis/999?lang=en").json()["detail"] == "KPI 999 not found"


def test_evaluations_filter_by_scheme_official_and_code(client):
    assert get(client, "/api/evaluations")["total"] == 6
    computed = get(client, "/api/evaluations?official=false")["items"]
    assert [(e["kpi"], e["code"]) for e in computed] == [("窓口業務のアウトソーシング", "A"), ("総合窓口の導入", "B")]
    assert get(client, "/api/evaluations?official=true&code=B")["total"] == 2
    assert get(client, "/api/evaluations?scheme=progress-cagr")["total"] == 0


def test_audit_findings_cite_their_lines(client):
    body = get(client, "/api/audit")
    # the audit stored as of the date the ratings were made (webdata.RATED_AS_OF), never one computed on the request
    assert (body["as_of"], body["stored"], body["total"]) == ("2017-04-01", True, 1)
    mismatch = [f for f in body["items"] if f["kind"] == "rating_mismatch"]
    assert [(f["kpi_id"], f["sources"]) for f in mismatch] == [
        (1, [{"document": "schedule.txt", "document_id": 1, "line": 4}])]
    assert {f["kpi_id"] for f in get(client, "/api/audit?kpi=1")["items"]} == {1}
    assert get(client, "/api/audit?kpi=2")["total"] == 0
    # as of 2017-04-01 no measurement is overdue yet (the next one was announced for 2018-03-31)
    assert get(client, "/api/audit?kind=stale&kpi=3")["total"] == 0
    assert get(client, "/api/audit?kind=nonsense")["total"] == 0
    # a date no audit is stored as of is answered as of the nearest stored one, which the answer names
    later = get(client, "/api/audit?as_of=2030-01-01")
    assert (later["as_of"], later["stored"], later["total"]) == ("2017-04-01", True, 1)


def test_measures_filters_and_search(client):
    assert [m["no"] for m in get(client, "/api/measures")["items"]] == [1, 2, 3]
    assert [m["no"] for m in get(client, "/api/measures?effect=convenience")["items"]] == [2]
    assert [m["no"] for m in get(client, "/api/measures?lead=内閣府")["items"]] == [3]
    assert [m["no"] for m in get(client, "/api/measures?q=電子調達")["items"]] == [1]
    m = get(client, "/api/measures/1")
    assert m["ministries"] == [{"name": "総務省", "lead": True}, {"name": "経済産業省", "lead": False}]
    assert m["effects"] == {"efficiency": True, "economy": True, "convenience": False, "safety": False}


def test_cases_documents_items_and_search(client):
    cases = get(client, "/api/cases?q=海老名")["items"]
    assert [(c["title"], c["effects"][0]["amount_yen"], c["effects"][0]["change_percent"]) for c in cases] == [
        ("窓口業務の民間委託", 5.0e7, -24.0)]
    docs = get(client, "/api/documents?family=measure-catalogue")["items"]
    assert [(d["file_name"], d["counts"]["measures"]) for d in docs] == [("catalogue.json", 3)]
    doc = get(client, "/api/documents/1")
    assert doc["lines"][3].startswith("- 1 窓口業務のアウトソーシング")
    assert get(client, "/api/documents/2")["lines"] is None
    item = get(client, "/api/items/1")
    assert [p["period"] for p in item["schedule"][0]["periods"]] == ["2016年度", "2017年度", "（列不明）"]  # as stored
    assert item["steps"][0]["status_word"] == "順調"
    hits = get(client, "/api/search?q=窓口")
    assert hits["total"] == 3 and [(h["kind"], h["url"]) for h in hits["items"]] == [
        ("case", "/cases/1"), ("kpi", "/kpis/1"), ("kpi", "/kpis/2")]  # KPIs are indexed too
    # 手続 (two characters) is in the pillar of measures 1 and 2; the second page of one hit is measure 2.
    second = get(client, "/api/search?q=手続&limit=1&offset=1")
    assert (second["total"], second["offset"], [h["url"] for h in second["items"]]) == (2, 1, ["/measures/2"])


def test_openapi_describes_every_list_endpoint(client):
    spec = get(client, "/api/openapi.json")
    for path in ("/api/kpis", "/api/evaluations", "/api/audit", "/api/measures", "/api/cases", "/api/documents"):
        params = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"limit", "offset"} <= params, path
    assert spec["components"]["schemas"]["KpiPage"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/KpiListItem"}
    assert client.get("/api/kpis?limit=0").status_code == 422


def test_openapi_document_is_valid_openapi_3_1(client):
    spec = get(client, "/api/openapi.json")
    assert spec["openapi"].startswith("3.1.")
    validate_openapi(spec)  # raises OpenAPIValidationError naming the path of the first fault
    # pydantic 2: a nullable field without a default is still required, so clients can rely on the key.
    kpi = spec["components"]["schemas"]["KpiDetail"]
    assert "next_measurement_date" in kpi["required"]
    assert kpi["properties"]["next_measurement_date"]["anyOf"] == [{"type": "string", "format": "date"}, {"type": "null"}]


def test_the_openapi_validator_catches_a_broken_document(client):
    spec = get(client, "/api/openapi.json")
    del spec["paths"]["/api/kpis"]["get"]["parameters"][0]["in"]  # a parameter must say where it goes
    with pytest.raises(OpenAPIValidationError, match="[\"']in[\"'] is a required property"):
        validate_openapi(spec)


def test_kpi_csv_has_a_bom_and_the_filtered_rows(client):
    r = client.get("/kpis.csv?tier=1&sort=name&lang=en")  # English page: the keys as headers
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="kpis.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == KPI_COLUMNS
    assert [row["name"] for row in rows] == ["庶務業務の集約化", "窓口業務のアウトソーシング", "総合窓口の導入"]
    assert rows[1]["target_deadline"] == "2021-03-31" and rows[1]["rating_official"] == "B"


def test_xlsx_download_keeps_numbers_and_dates_typed(client):
    from datetime import datetime

    r = client.get("/kpis.xlsx?lang=en")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.title == "kpis"
    assert sheet["A1"].font.bold is True and sheet.freeze_panes == "A2"  # the header row stays in view
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert row["latest_value"] == 301 and row["latest_as_of"] == datetime(2017, 4, 1)
    cases = load_workbook(io.BytesIO(client.get("/cases.xlsx?lang=en").content)).active
    assert [c.value for c in cases["D"]][1:] == ["窓口業務改革", "内部管理業務"]


def test_json_and_other_table_downloads(client):
    measures = json.loads(client.get("/measures.json?pillar=官民データの利活用").content)
    assert [(m["no"], m["lead_ministry"], m["effect_safety"]) for m in measures] == [(3, "内閣府", True)]
    documents = json.loads(client.get("/documents.json").content)
    assert [d["file_name"] for d in documents] == ["schedule.txt", "catalogue.json", "platform.txt"]
    items = client.get("/items.csv?lang=en").content.decode("utf-8-sig").splitlines()
    assert items[0] == "id,number,name,theme,kpis,steps,schedules,status_words"
    assert client.get("/kpis.pdf").status_code == 404


@pytest.mark.parametrize("url, columns", [
    ("/measures.csv?q=見つからない語", MEASURE_COLUMNS), ("/cases.csv?q=見つからない語", CASE_COLUMNS),
    ("/kpis.csv?q=見つからない語", KPI_COLUMNS), ("/documents.csv", DOCUMENT_COLUMNS),
])
def test_a_download_keeps_its_header_row_when_no_row_matches(client, url, columns):
    url += ("&" if "?" in url else "?") + "lang=en"
    lines = client.get(url).content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(columns)
    assert len(lines) == (4 if url.startswith("/documents.csv") else 1)
    sheet = load_workbook(io.BytesIO(client.get(url.replace(".csv", ".xlsx")).content)).active
    assert [c.value for c in sheet[1]] == columns


def test_measure_download_columns_are_the_rows_keys(client):
    everything = json.loads(client.get("/measures.json").content)
    assert list(everything[0]) == MEASURE_COLUMNS
    assert len(everything) == 3


def test_audit_findings_download_in_the_pages_language(client):
    r = client.get("/audit.csv")  # a Japanese page: Japanese messages and headers
    assert r.headers["content-disposition"] == 'attachment; filename="audit.csv"'
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    api = get(client, "/api/audit")["items"]
    assert len(rows) == len(api) > 0
    assert rows[0]["内容"] == api[0]["message"]
    titles = {d["file_name"]: f"{d['title']} {d['doc_date']}" if d["doc_date"] else d["title"]
              for d in get(client, "/api/documents")["items"]}
    assert rows[0]["出典"] == "; ".join(f"{titles[x['document']]}:{x['line']}" for x in api[0]["sources"])
    assert rows[0]["出典ファイル"] == "; ".join(f"{x['document']}:{x['line']}" for x in api[0]["sources"])
    en = json.loads(client.get("/audit.json?lang=en").content)
    assert en[0]["message"] == get(client, "/api/audit?lang=en")["items"][0]["message"] != rows[0]["内容"]
    # The overview links these files, keeping the language.
    assert '<a href="/audit.csv?as_of=2017-04-01&amp;lang=en" download>CSV</a>' in client.get("/?lang=en").text


@pytest.mark.parametrize("url", ["/api/kpis?scheme=no-such-scheme", "/api/kpis/1?scheme=no-such-scheme",
                                 "/api/evaluations?scheme=no-such-scheme"])
def test_an_unknown_scheme_is_refused_by_name(client, url):
    r = client.get(url + "&lang=en")
    assert r.status_code == 422
    assert r.json()["detail"].startswith("scheme: unknown rating scheme 'no-such-scheme'; use one of reform-schedule, ")
    r = client.get(url)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("scheme: 評価方式「no-such-scheme」はありません。次のいずれかを指定してください: reform-schedule, ")


@pytest.mark.parametrize("url", ["/?scheme=no-such-scheme", "/kpis?scheme=no-such-scheme", "/items/1?scheme=no-such-scheme",
                                 "/kpis.csv?scheme=no-such-scheme"])
def test_pages_refuse_an_unknown_scheme_too(client, url):
    r = client.get(url)
    assert r.status_code == 422
    assert "scheme: 評価方式「no-such-scheme」はありません。" in r.text
    r = client.get(url + "&lang=en")
    assert r.status_code == 422
    assert "unknown rating scheme &#39;no-such-scheme&#39;" in r.text or "unknown rating scheme 'no-such-scheme'" in r.text


@pytest.mark.parametrize("url, model, row", [
    ("/api/kpis", s.KpiPage, s.KpiListItem), ("/api/kpis?include=observations", s.KpiPage, s.KpiOut),
    ("/api/kpis/1", s.KpiDetail, None),
    ("/api/evaluations", s.EvaluationPage, s.EvaluationOut), ("/api/audit", s.FindingPage, s.FindingOut),
    ("/api/measures", s.MeasurePage, s.MeasureOut), ("/api/measures/1", s.MeasureOut, None),
    ("/api/cases", s.CasePage, s.CaseOut), ("/api/cases/1", s.CaseOut, None),
    ("/api/documents", s.DocumentPage, s.DocumentOut), ("/api/documents/1", s.DocumentDetail, None),
    ("/api/items", s.ItemPage, s.ItemOut), ("/api/items/1", s.ItemDetail, None),
    ("/api/search?q=窓口", s.HitPage, s.HitOut),
])
def test_every_endpoint_returns_what_its_response_model_documents(client, url, model, row):
    body = get(client, url)
    model.model_validate(body)
    fields = list((model if row is None else row).model_fields)
    assert set(body if row is None else body["items"][0]) == set(fields), url


def test_pages_and_api_answer_alike_on_each_backend(db_url):
    """SQLite always; PostgreSQL too when MIERUKA_TEST_DATABASE_URL is set."""
    webdata.build(db_url)
    c = TestClient(create_app(db_url))
    assert [k["name"] for k in get(c, "/api/kpis?rating=B")["items"]] == ["窓口業務のアウトソーシング", "総合窓口の導入"]
    assert [k["name"] for k in get(c, "/api/kpis?rating=B&basis=computed")["items"]] == ["総合窓口の導入"]
    assert [m["no"] for m in get(c, "/api/measures?q=電子調達")["items"]] == [1]
    assert [x["title"] for x in get(c, "/api/cases?q=大阪")["items"]] == ["庶務業務の集約化"]
    assert get(c, "/api/documents")["items"][0]["ingested_at"].startswith("2024-01-01T00:00:00")
    for url in ("/", "/kpis/1", "/items/1", "/measures", "/cases/1", "/documents/1"):
        assert c.get(url).status_code == 200, url


def test_one_kpi_is_answered_in_a_bounded_number_of_statements(client):
    """The one-KPI answer reads its rows in a fixed set of statements whatever the database holds: one for the
    evaluation date's candidates, none for the reform item's texts (which the audit reads, not this answer), none
    for every document's name again, none for the scheme when it is a scheme file's."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))
    client.get("/api/kpis/2")  # the evaluation dates are read once per state of the data (web.kept): read now
    event.listen(Engine, "before_cursor_execute", record)  # the requests' engine is made for their time limit
    try:
        r = client.get("/api/kpis/1", headers={"Cookie": "uncached=1"})  # a cookie: the answer is made, not kept
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert r.status_code == 200
    assert not [x for x in statements if "process_steps" in x or "DISTINCT ratings.scheme" in x]
    assert sum(x.startswith("SELECT documents.") for x in statements) == 1  # the documents the answer cites
    # the documents, the KPI, baselines, targets with their editions joined, appearances (its observations go past
    # the events, on the driver's cursor); the ratings with their explanations (read once: the answer's ratings are
    # among them) and the assigned owner. The dates stored as of (the audited data's key, the audit of that date) were
    # read by the request before, in the same state of the data.
    assert len([x for x in statements if x != "BEGIN"]) == 7, [x[:80] for x in statements]
