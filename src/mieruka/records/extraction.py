"""Plain records the readers extract from a document, before anything touches the database.
Each carries a Source (line range and the cell text as written) so every stored row has provenance."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from mieruka.jp.dates import precision_of


@dataclass
class Source:
    line: int  # 1-based line in the decoded text (for PDF/XLSX: the line of the text we derived)
    line_end: int | None = None
    text: str = ""  # the cell or row text as written


@dataclass
class TargetRecord:
    text: str
    source: Source
    value: float | None = None
    unit: str | None = None
    deadline: date | None = None
    comparator: str | None = None
    relative_factor: float | None = None
    relative_kind: str | None = None
    relative_base_year: int | None = None
    relative_base_value: float | None = None
    unset: bool = False
    promised_by: date | None = None
    interim: bool = False  # a yearly (年度ごとの) target on the way to the final one
    edition: str | None = None  # edition name when the target comes from a schedule table
    deadline_precision: str | None = None  # day | month | fiscal_year | year: how precisely the document gave it
    promised_by_precision: str | None = None

    @classmethod
    def from_parsed(cls, text: str, source: Source, p, **more) -> TargetRecord:
        """The target with what jp.parse read of its statement p (figure, deadline, comparator, the base of a relative
        cut); more sets the fields a family's reader knows besides."""
        rel = p.relative
        return cls(text=text, source=source, value=p.value, unit=p.unit, deadline=p.deadline, comparator=p.comparator,
                   relative_factor=rel.factor if rel else None, relative_kind=rel.kind if rel else None,
                   relative_base_year=rel.base_fiscal_year if rel else None,
                   relative_base_value=rel.base_value if rel else None, **more)


@dataclass
class ObservationRecord:
    text: str
    source: Source
    value: float | None = None
    unit: str | None = None
    as_of: date | None = None
    status: str | None = None  # preliminary | final | forecast
    as_of_precision: str | None = None  # day | month | fiscal_year | year


@dataclass
class BaselineRecord:
    text: str
    source: Source
    value: float | None = None
    unit: str | None = None
    as_of: date | None = None
    as_of_precision: str | None = None  # day | month | fiscal_year | year


@dataclass
class RatingRecord:
    scheme: str  # reform-schedule | policy-evaluation | ...
    code: str
    source: Source


@dataclass
class KpiRecord:
    name: str  # as written, markers and numbering included
    source: Source
    tier: int | None = None  # 1 = 第一階層 (output), 2 = 第二階層 (outcome)
    reform_item: str | None = None  # clean name of the 改革項目 it belongs to
    parent: str | None = None  # name as written of the parent KPI (for "- 1", "- 2" rows)
    markers: list[str] = field(default_factory=list)  # e.g. ["再掲"]
    unit: str | None = None
    direction: str | None = None  # up | down, when the document makes it clear
    after_the_fact: bool = False  # 事後的に検証する指標
    baseline: BaselineRecord | None = None
    targets: list[TargetRecord] = field(default_factory=list)
    observations: list[ObservationRecord] = field(default_factory=list)
    ratings: list[RatingRecord] = field(default_factory=list)
    next_measurement: str | None = None  # 次回の把握時期 as written
    next_measurement_date: date | None = None
    next_measurement_precision: str | None = None  # day | month | fiscal_year | year
    policy_text: str | None = None
    organisation: str | None = None


@dataclass
class StepRecord:
    step: str
    source: Source
    progress: str | None = None
    outlook: str | None = None
    status_word: str | None = None  # 順調 …


@dataclass
class ScheduleRecord:
    edition: str  # e.g. "経済・財政再生計画 改革工程表 2016改定版"
    edition_date: date | None
    period: str  # fiscal-year column, e.g. "2017年度", "2020年度～", "2014・2015年度"
    text: str
    source: Source
    offices: list[str] = field(default_factory=list)  # from 《…》


@dataclass
class ReformItemRecord:
    name: str  # clean name, without the circled number
    source: Source
    number: str | None = None  # ⑪ …
    theme: str | None = None  # 重要課題
    steps: list[StepRecord] = field(default_factory=list)
    schedules: list[ScheduleRecord] = field(default_factory=list)


@dataclass
class MinistryRecord:
    name: str
    lead: bool = False


@dataclass
class MeasureRecord:
    no: int
    name: str
    source: Source
    code: str | None = None
    kpi_progress: str | None = None
    kpi_effect: str | None = None
    overview: str | None = None
    pillar: str | None = None
    timing: str | None = None
    effects: dict[str, bool] = field(default_factory=lambda: {
        "efficiency": False, "economy": False, "convenience": False, "safety": False})
    support: str | None = None
    budget_programme: str | None = None
    urls: list[str] = field(default_factory=list)
    ministries: list[MinistryRecord] = field(default_factory=list)
    # the KPI statements its KPI cells make ("クラウド導入市区町村数(令和5年度末までに約1,600団体…)"), each a KpiRecord
    # with its target; storage links one to a KPI it already knows and stores nothing for the others
    kpi_statements: list[KpiRecord] = field(default_factory=list)


@dataclass
class EffectRecord:
    text: str
    label: str | None = None
    amount_yen: float | None = None
    change_percent: float | None = None  # ▲24% → -24.0
    period_years: float | None = None


@dataclass
class CaseRecord:
    title: str
    municipalities: list[str]  # names as written, e.g. ["神奈川県海老名市"]
    source: Source
    theme: str | None = None
    summary: str | None = None
    effects: list[EffectRecord] = field(default_factory=list)


@dataclass
class BudgetRecord:
    fiscal_year: int
    category: str  # 当初予算 / 補正予算 / 繰越し等 / 合計 / 執行額
    amount_yen: float | None
    text: str
    source: Source
    policy: str | None = None


@dataclass
class PolicyResultRecord:
    policy: str
    result: str  # one of the five 各行政機関共通区分 steps
    source: Source


@dataclass
class Extraction:
    """Everything one reader found in one document."""

    family: str
    title: str | None = None
    doc_date: date | None = None
    items: list[ReformItemRecord] = field(default_factory=list)
    kpis: list[KpiRecord] = field(default_factory=list)
    measures: list[MeasureRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    budgets: list[BudgetRecord] = field(default_factory=list)
    results: list[PolicyResultRecord] = field(default_factory=list)
    legends: dict[str, str] = field(default_factory=dict)  # e.g. {"イ": "目標達成", …}
    unplaced: list[Source] = field(default_factory=list)  # lines the reader could not place
    meta: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "items": len(self.items),
            "steps": sum(len(i.steps) for i in self.items),
            "schedules": sum(len(i.schedules) for i in self.items),
            "kpis": len(self.kpis),
            "targets": sum(len(k.targets) for k in self.kpis),
            "observations": sum(len(k.observations) for k in self.kpis),
            "ratings": sum(len(k.ratings) for k in self.kpis),
            "measures": len(self.measures),
            "cases": len(self.cases),
            "budgets": len(self.budgets),
            "unplaced": len(self.unplaced),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


FAMILIES = {
    "reform-schedule": "改革工程表 進捗",
    "policy-evaluation": "政策評価書",
    "measure-catalogue": "国の施策一覧",
    "platform-presentation": "公共サービスイノベーション・プラットフォーム資料",
}


def with_date_precisions(ex: Extraction) -> Extraction:
    """Say how precisely the document gave each date (2020年度 → fiscal_year, 2018年3月頃 → month), read from the
    text the date came from, where the reader did not say: the pages then write it no more precisely than that
    (「2014年度:208団体」 is the 年度 2014, stored at 2015-03-31). Every KPI statement of every reader, the catalogue's
    included; run by extract() and again by storage for records built elsewhere (a saved sample, a test)."""
    for k in [*ex.kpis, *(s for mr in ex.measures for s in mr.kpi_statements)]:
        b = k.baseline
        if b is not None and b.as_of_precision is None:
            b.as_of_precision = precision_of(b.text, b.as_of)
        for t in k.targets:
            t.deadline_precision = t.deadline_precision or precision_of(t.text, t.deadline)
            t.promised_by_precision = t.promised_by_precision or precision_of(t.text, t.promised_by)
        for o in k.observations:
            o.as_of_precision = o.as_of_precision or precision_of(o.text, o.as_of)
        k.next_measurement_precision = k.next_measurement_precision or precision_of(
            k.next_measurement, k.next_measurement_date)
    return ex
