"""The bundled sample dataset: facts and figures of the seeds without their sentences, loadable twice safely,
and the same KPIs, measures and cases as ingesting the seeds themselves."""
import json
import re

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
        # a long cell is kept as its opening and the figures the audit reads, each cut off by …
        pieces = re.split("[…。]", obj) if isinstance(obj, str) and "…" in obj and key not in names else [obj]
        long = isinstance(obj, str) and (any(len(p) > MAX_FACT_CHARS + 1 for p in pieces) or
                                         (key in names and "\n" in obj))
        return [obj] if long else []

    assert long_prose(data) == []


def test_bundled_sample_keeps_figures_not_sentences():
    """A long cell is its opening words and the figures the audit reads in it, each at most MAX_FACT_CHARS long, and a
    step's progress only those figures (000 l.325: the cut of 運用コスト and the share printed for it)."""
    data = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    pieces = [p for s in _strings(data) if "…" in s for p in re.split("[…。]", s)]
    assert pieces and max(len(p) for p in pieces) <= MAX_FACT_CHARS
    steps = [st for d in data["documents"] for i in d["extraction"]["items"] for st in i["steps"]
             if st["source"]["line"] == 325]
    assert [st["progress"] for st in steps] == [
        "政府情報システム数については…894システムの減(2012年度比で62%減)。運用コストについては…1104億円の削減(2013年度比で29%減)…"]


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


def _audit(url, as_of):
    from mieruka.evaluate import schemes
    from mieruka.evaluate.audit import audit
    from mieruka.storage.ratings import policy_result_rows

    with storage.session_scope(url) as s:
        rows, results = kpi_rows(s), policy_result_rows(s)
    return audit(rows, [schemes.load(n) for n in sorted(schemes.available())], as_of, results)


def test_the_sample_gives_every_finding_the_seeds_give(sqlite_url, tmp_path, seeds):
    """The demo audits the sample: it finds what the audit finds in the seeds, kind, KPI and every line cited, worded
    alike but for the document's words it quotes (「…」), which the sample does not carry whole."""
    from datetime import date

    load_sample(sqlite_url)
    direct_url = f"sqlite:///{tmp_path / 'direct.db'}"
    ingest_paths([seeds], direct_url)
    unquoted = lambda m: re.sub(r"「[^」]*」", "「」", m)  # noqa: E731
    counts = {}
    for as_of in (date(2025, 1, 1), date(2019, 3, 31), date(2018, 6, 1)):
        sample, direct = _audit(sqlite_url, as_of), _audit(direct_url, as_of)
        assert [(f.kind, f.kpi, f.sources) for f in sample] == [(f.kind, f.kpi, f.sources) for f in direct]
        assert [unquoted(f.message) for f in sample] == [unquoted(f.message) for f in direct]
        counts[as_of] = len(sample)
        if as_of == date(2025, 1, 1):
            found = {(f.kind, f.sources[0]["line"]) for f in sample}
    assert counts == {date(2025, 1, 1): 31, date(2019, 3, 31): 30, date(2018, 6, 1): 28}
    # the three the 40-character cut lost: the timing after a long sentence (l.332, l.333) and l.325's percentage
    assert {("stale", 332), ("stale", 333), ("percent_mismatch", 325)} <= found
