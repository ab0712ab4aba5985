"""A small database for the web tests: three documents in the families' shapes, built from the seeds' facts
(names, numbers, dates, codes) with short sentences of our own, plus computed ratings as the evaluator stores them;
and parse_html, which reads the tables, elements and text of a rendered page for the assertions."""
from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from html.parser import HTMLParser
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.engine import make_url

from mieruka import storage
from mieruka.records import extraction as r
from mieruka.ingest.readers.reform_schedule.columns import UNPLACED
from mieruka.storage import models as m
from mieruka.evaluate.stored import audit_and_store
from mieruka.storage.load import add_document, store_extraction

SCHEDULE_TEXT = "\n".join([
    "重要課題:地方の行財政改革",                                       # 1
    "改革項目: 民間の大胆な活用による適正な民間委託等の加速",             # 2
    "KPI\t目標値\t実績値\t区分",                                        # 3
    "- 1 窓口業務のアウトソーシング\t2020年度までに 416団体\t301団体 (2017年4月速報値)\tB",  # 4
    "- 2 総合窓口の導入\t2020年度までに 370団体\t215団体 (2017年4月速報値)\tB",              # 5
    "庶務業務の集約化\t2020年度までに 286団体\t413団体 (2017年4月速報値)\tA",                 # 6
    "歳出効率化の成果(事後的に検証する指標)\t\t\tN",                   # 7
    "モデル事業を進めている。(順調)",                                   # 8
    "2016年度\tモデル事業を6団体で実施",                                # 9
    "2017年度\t成果を全国に展開",                                       # 10
    "《内閣府》\t窓口業務の改善を支援",                                 # 11: no fiscal-year column
])


def _src(line: int, text: str = "") -> r.Source:
    return r.Source(line=line, text=text)


def schedule_extraction() -> r.Extraction:
    item = "民間の大胆な活用による適正な民間委託等の加速"
    edition = "経済・財政再生計画 改革工程表(平成27年12月24日)"

    def kpi(name, line, target, actual, code, tier=1):
        return r.KpiRecord(
            name=name, source=_src(line, name), tier=tier, reform_item=item, unit="団体", organisation="総務省",
            baseline=r.BaselineRecord(text="2014年度 208団体", source=_src(line), value=208.0, unit="団体",
                                      as_of=date(2015, 3, 31)) if name.startswith("- 1") else None,
            targets=[r.TargetRecord(text=f"2020年度までに {target}団体", source=_src(line), value=float(target),
                                    unit="団体", deadline=date(2021, 3, 31), comparator="ge")],
            observations=[r.ObservationRecord(text=f"{actual}団体 (2017年4月速報値)", source=_src(line), value=float(actual),
                                              unit="団体", as_of=date(2017, 4, 1), status="preliminary")],
            ratings=[r.RatingRecord(scheme="reform-schedule", code=code, source=_src(line, code))],
            next_measurement="2017年4月確報値は2018年3月頃に公表", next_measurement_date=date(2018, 3, 1))  # 2018年3月頃, as the reader dates it

    kpis = [
        kpi("- 1 窓口業務のアウトソーシング", 4, 416, 301, "B"),
        kpi("- 2 総合窓口の導入", 5, 370, 215, "B"),
        kpi("庶務業務の集約化", 6, 286, 413, "A"),
        r.KpiRecord(name="歳出効率化の成果(事後的に検証する指標)", source=_src(7), tier=2, reform_item=item,
                    after_the_fact=True, ratings=[r.RatingRecord(scheme="reform-schedule", code="N", source=_src(7, "N"))]),
    ]
    items = [r.ReformItemRecord(
        name=item, number="⑪", theme="地方の行財政改革", source=_src(2),
        steps=[r.StepRecord(step="業務改革モデルプロジェクト", progress="モデル事業を進めている。", status_word="順調", source=_src(8))],
        schedules=[r.ScheduleRecord(edition=edition, edition_date=date(2015, 12, 24), period="2017年度",
                                    text="成果を全国に展開", offices=["総務省"], source=_src(10)),
                   r.ScheduleRecord(edition=edition, edition_date=date(2015, 12, 24), period="2016年度",
                                    text="モデル事業を6団体で実施", offices=["総務省"], source=_src(9)),
                   r.ScheduleRecord(edition=edition, edition_date=date(2015, 12, 24), period=UNPLACED,
                                    text="窓口業務の改善を支援", offices=["内閣府"], source=_src(11))])]
    return r.Extraction(family="reform-schedule", title="改革工程表の進捗(試験用)", doc_date=date(2017, 10, 1),
                        items=items, kpis=kpis)


def catalogue_extraction() -> r.Extraction:
    def ministries(*names):
        return [r.MinistryRecord(name=n.lstrip("◎"), lead=n.startswith("◎")) for n in names]

    measures = [
        r.MeasureRecord(no=1, name="マイナンバーカードと電子委任状を活用した政府調達", source=_src(3), code="01-05",
                        kpi_progress="電子調達の利用件数", kpi_effect="電子応札率", pillar="手続における情報通信の技術の利用等",
                        timing="時期調整中", overview="電子調達システムを平成30年度から順次利用開始する。",
                        effects={"efficiency": True, "economy": True, "convenience": False, "safety": False},
                        support="セミナーの開催を検討", urls=["https://www.e-gov.go.jp/"],
                        ministries=ministries("◎総務省", "経済産業省")),
        r.MeasureRecord(no=2, name="デジタルファーストの実現に向けたシステム基盤の構築", source=_src(4), code="01-06",
                        kpi_progress="情報システム整備計画の策定", kpi_effect="未設定(令和元年度中に検討)",
                        pillar="手続における情報通信の技術の利用等", timing="2019年度",
                        overview="行政手続のオンライン化を徹底し添付書類を撤廃する。",
                        effects={"efficiency": True, "economy": False, "convenience": True, "safety": False},
                        ministries=ministries("◎内閣官房", "総務省")),
        r.MeasureRecord(no=3, name="地域の防災情報の共有", source=_src(5), code="04-01",
                        pillar="官民データの利活用", timing="2020年度",
                        overview="自治体の避難所情報を共有する。",
                        effects={"efficiency": False, "economy": False, "convenience": False, "safety": True},
                        ministries=ministries("◎内閣府")),
    ]
    return r.Extraction(family="measure-catalogue", title="国の施策一覧(試験用)", measures=measures)


def platform_extraction() -> r.Extraction:
    cases = [
        r.CaseRecord(title="窓口業務の民間委託", municipalities=["神奈川県海老名市"], source=_src(12), theme="窓口業務改革",
                     summary="住民票の交付など窓口業務を委託した。",
                     effects=[r.EffectRecord(text="0.5億円 (▲24%)/年", label="人件費", amount_yen=5.0e7,
                                             change_percent=-24.0, period_years=1.0)]),
        r.CaseRecord(title="庶務業務の集約化", municipalities=["大阪府大阪市"], source=_src(20), theme="内部管理業務",
                     effects=[r.EffectRecord(text="5.08億円 (▲46%)/5年", amount_yen=5.08e8, change_percent=-46.0,
                                             period_years=5.0)]),
    ]
    return r.Extraction(family="platform-presentation", title="公共サービスイノベーション・プラットフォーム(試験用)",
                        doc_date=date(2017, 7, 7), cases=cases)


def store_document(url: str, name: str, ex: r.Extraction, text: str | None, ingested_at: datetime) -> int:
    raw = (text or name).encode("utf-8")
    with storage.session_scope(url) as s:
        doc = add_document(s, file_name=name, family=ex.family, title=ex.title, doc_date=ex.doc_date,
                           sha256=hashlib.sha256(raw).hexdigest(), encoding="utf-8", media_type="text/plain",
                           size_bytes=len(raw), raw=raw, text=text, meta={}, ingested_at=ingested_at)
        store_extraction(s, doc, ex)
        doc.report = {"counts": ex.counts(), "unplaced": []}
        return doc.id


RATED_AS_OF = date(2017, 4, 1)


def _computed_ratings(url: str) -> None:
    """What the evaluator stores beside the official ratings: official=False, with an explanation."""
    with storage.session_scope(url) as s:
        kpis = {k.name: k for k in s.query(m.Kpi)}
        rows = [("窓口業務のアウトソーシング", "A", "計画線上の想定289団体を上回る301団体", "301, above the planned 289"),
                ("総合窓口の導入", "B", "計画線上の想定を下回る215団体", "215, below the planned path")]
        for name, code, ja, en in rows:
            s.add(m.Rating(kpi_id=kpis[name].id, scheme="reform-schedule", code=code, official=False, explanation=ja,
                           explanation_en=en, as_of=RATED_AS_OF, computed_at=datetime.now(timezone.utc),
                           details={"actual": 301.0, "actual_as_of": "2017-04-01", "forecast": 420.0, "deadline": "2021-03-31"}
                           if code == "A" else None))


def build(url: str) -> dict[str, int]:
    """Fill the database at url; returns the ids of the documents by role. A new SQLite file is a copy of the first
    one this process built (the same rows for a tenth of the CPU: hundreds of tests start from this database)."""
    path = make_url(url).database if url.startswith("sqlite") else None
    if path and path != ":memory:" and not Path(path).exists():
        if not _built:
            _built["path"] = Path(_template_dir.name) / "webdata.db"
            _built["ids"] = _fill(f"sqlite:///{_built['path']}")
        # SQLite's backup reads a consistent snapshot through the write-ahead log of the engine still open on it
        with closing(sqlite3.connect(_built["path"])) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)
        return dict(_built["ids"])
    return _fill(url)


_built: dict = {}
_template_dir = tempfile.TemporaryDirectory(prefix="mieruka-webdata-")


def _fill(url: str) -> dict[str, int]:
    storage.ensure_schema(url)
    earlier = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ids = {
        "schedule": store_document(url, "schedule.txt", schedule_extraction(), SCHEDULE_TEXT, earlier),
        "catalogue": store_document(url, "catalogue.json", catalogue_extraction(), None, earlier + timedelta(seconds=5)),
        "platform": store_document(url, "platform.txt", platform_extraction(), "\n" * 30, earlier + timedelta(seconds=9)),
    }
    _computed_ratings(url)
    with storage.session_scope(url) as s:
        # what `mieruka audit --as-of 2017-04-01` keeps: the pages show the audit of their evaluation date, the date
        # the computed ratings above were made as of (a request never audits)
        audit_and_store(s, RATED_AS_OF)
    return ids


class _Html(HTMLParser):
    """Collects, per element id, the text of each table row and the attributes of every element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "table":
            self._table.append(attrs.get("id") or f"table{len(self.tables)}")
            self.tables[self._table[-1]] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table[-1]].append(self._row)
            self._row = None
        elif tag == "table" and self._table:
            self._table.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_html(html: str) -> _Html:
    p = _Html()
    p.feed(html)
    return p
