"""The bundled sample dataset: facts and figures of the seeds without their sentences, loadable twice safely,
and the same KPIs, measures and cases as ingesting the seeds themselves."""
import json

from mieruka import storage
from mieruka.loading.documents import ingest_paths
from mieruka.ingest.sample import MAX_FACT_CHARS, SAMPLE_PATH, build_sample
from mieruka.loading.sample import load_sample
from mieruka.storage.queries import case_rows, kpi_rows, measure_rows


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_bundled_sample_keeps_no_long_sentences():
    data = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    assert [d["file_name"][:3] for d in data["documents"]] == ["000", "001", "002", "003", "004"]
    names = {"name", "title", "reform_item", "parent", "theme", "budget_programme", "sha256"}

    def long_prose(obj, key=None):
        if isinstance(obj, dict):
            return [x for k, v in obj.items() if k not in names and k != "urls" for x in long_prose(v, k)]
        if isinstance(obj, list):
            return [x for v in obj for x in long_prose(v, key)]
        long = isinstance(obj, str) and (len(obj) > MAX_FACT_CHARS + 1 or (key in names and "\n" in obj))
        return [obj] if long else []

    assert long_prose(data) == []


def test_sample_loads_once_and_matches_the_seeds(sqlite_url, tmp_path, seeds):
    first = load_sample(sqlite_url)
    assert [r.status for r in first] == ["loaded"] * 5
    assert [r.status for r in load_sample(sqlite_url)] == ["unchanged"] * 5
    with storage.session_scope(sqlite_url) as s:
        sample = (kpi_rows(s), measure_rows(s), case_rows(s))
    direct_url = f"sqlite:///{tmp_path / 'direct.db'}"
    ingest_paths([seeds], direct_url)
    with storage.session_scope(direct_url) as s:
        direct = (kpi_rows(s), measure_rows(s), case_rows(s))
    assert [k["key"] for k in sample[0]] == [k["key"] for k in direct[0]]
    for a, b in zip(sample[0], direct[0]):
        assert [(o["value"], o["as_of"]) for o in a["observations"]] == [(o["value"], o["as_of"]) for o in b["observations"]]
        assert [(t["value"], t["deadline"]) for t in a["targets"]] == [(t["value"], t["deadline"]) for t in b["targets"]]
        assert [r["code"] for r in a["ratings"]] == [r["code"] for r in b["ratings"]]
    assert [(m["no"], m["code"], m["ministries"]) for m in sample[1]] == [(m["no"], m["code"], m["ministries"]) for m in direct[1]]
    assert [c["body_codes"] for c in sample[2]] == [c["body_codes"] for c in direct[2]]


def test_rebuilding_from_the_seeds_gives_the_committed_file(tmp_path, seeds):
    out = tmp_path / "sample.json"
    build_sample(seeds, out)
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
