"""Issue 15, class 9: the JSON API says what it returns. Schemathesis generates requests from /api/openapi.json
(valid and invalid ones) and checks every response with every check it has: no server error, documented status
codes, content types and headers, bodies that match the schema (nullable fields, time zones), invalid input
refused and valid input accepted. Bounded: a few examples per operation."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks

import webdata
from hostile import database_fingerprint, hostile_client
from mieruka import storage
from mieruka.web.guards import VALUE_PATTERN

load_all_checks()
EVERY_CHECK = list(CHECKS.get_all())


# Built when the module is collected: schemathesis makes one test per operation from the schema, before fixtures
# exist (its lazy fixture loader does not work with pytest 9).
_DIR = Path(tempfile.mkdtemp(prefix="mieruka-schema-"))
URL = f"sqlite:///{_DIR / 'schema.db'}"
webdata.build(URL)
APP = hostile_client(URL).app
APP.get("/local")
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def unchanged_database():
    before = database_fingerprint(URL)
    yield
    assert database_fingerprint(URL) == before
    storage.dispose_engines()
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema(case):
    case.call_and_validate(checks=EVERY_CHECK)


# --- what the schema says, checked directly -----------------------------------------------------------------

SPEC = APP.openapi()


def _nullable(prop: dict) -> bool:
    return {"type": "null"} in prop.get("anyOf", []) or "null" in (prop.get("type") if isinstance(
        prop.get("type"), list) else [prop.get("type")])


def test_every_field_that_can_be_null_is_declared_nullable():
    components = SPEC["components"]["schemas"]
    # a sample of fields the data does leave empty, and fields that never are
    for model, field in [("KpiDetail", "tier"), ("KpiDetail", "baseline"), ("KpiDetail", "next_measurement_date"),
                         ("Source", "line"), ("EvaluationOut", "details"), ("EvaluationOut", "computed_at"),
                         ("DocumentOut", "title"), ("TargetOut", "relative"), ("RatingSummary", "code")]:
        assert _nullable(components[model]["properties"][field]), (model, field)
    for model, field in [("KpiDetail", "id"), ("KpiDetail", "name"), ("KpiDetail", "targets"), ("DocumentOut", "ingested_at")]:
        assert not _nullable(components[model]["properties"][field]), (model, field)


def test_timestamps_carry_a_time_zone():
    client = hostile_client(URL)
    documents = client.get("/api/documents").json()["items"]
    assert [d["ingested_at"] for d in documents] == ["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:05+00:00",
                                                     "2024-01-01T00:00:09+00:00"]
    computed = [e["computed_at"] for e in client.get("/api/evaluations?official=false").json()["items"]]
    assert computed and all(c.endswith("+00:00") for c in computed)
    assert SPEC["components"]["schemas"]["DocumentOut"]["properties"]["ingested_at"]["format"] == "date-time"


def test_one_documented_error_shape_and_404s_where_a_route_can_404():
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert SPEC["components"]["schemas"]["ErrorOut"]["required"] == ["detail", "errors"]
    for path, ops in SPEC["paths"].items():
        responses = ops["get"]["responses"]
        assert responses["422"]["content"]["application/json"]["schema"] == error, path
        assert responses["503"]["content"]["application/json"]["schema"] == error, path
        if "{" in path:
            assert responses["404"]["content"]["application/json"]["schema"] == error, path
        else:
            assert "404" not in responses, path
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]
    client = hostile_client(URL)
    for url, status in [("/api/kpis/999", 404), ("/api/kpis?limit=0", 422), ("/api/search?q=%00", 422),
                        ("/api/items/abc", 422), ("/api/no/such/route", 404)]:
        r = client.get(url)
        assert r.status_code == status and set(r.json()) == {"detail", "errors"} and isinstance(r.json()["detail"], str)


def test_the_schema_states_the_bounds_the_server_enforces():
    params = {p["name"]: p["schema"] for p in SPEC["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["maxLength"] == 200 and "{0,15}" in params["q"]["pattern"]  # 16 words at most
    [kind] = [x for x in params["kind"].get("anyOf", [params["kind"]]) if x.get("type") == "string"]  # or null
    assert kind["pattern"] == VALUE_PATTERN and kind["enum"] == ["body", "kpi", "measure", "case", "document"]
    assert params["limit"]["maximum"] == 1000 and params["offset"]["maximum"] == 2**31 - 1
    kpi = {p["name"]: p["schema"] for p in SPEC["paths"]["/api/kpis/{kpi_id}"]["get"]["parameters"]}
    assert kpi["kpi_id"]["maximum"] == 2**31 - 1 and kpi["kpi_id"]["minimum"] == 1
    assert kpi["scheme"]["enum"][:1] == ["reform-schedule"] and "progress-cagr" in kpi["scheme"]["enum"]
