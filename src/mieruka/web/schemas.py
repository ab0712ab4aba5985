"""Response models of the JSON API, so the OpenAPI document at /api/openapi.json describes every field."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


def nullable_fields(spec: dict) -> dict:
    """pydantic 2 writes a field typed `X | None` as anyOf [X, null]; pydantic 1 leaves the null out. Under pydantic 1
    this adds it to every such field of these models in an OpenAPI document, in pydantic 2's shape."""
    if hasattr(BaseModel, "model_fields"):
        return spec
    models = {c.__name__: c for c in globals().values() if isinstance(c, type) and issubclass(c, BaseModel)}
    for name, component in spec.get("components", {}).get("schemas", {}).items():
        model = models.get(name)
        for field in (model.__fields__.values() if model else []):
            prop = component.get("properties", {}).get(field.alias)
            if prop is not None and field.allow_none and "anyOf" not in prop:
                keep = {k: prop.pop(k) for k in ("title", "description", "default") if k in prop}
                component["properties"][field.alias] = {"anyOf": [prop, {"type": "null"}], **keep}
    return spec


class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every 4xx and 5xx of the API: a message in the language asked for (?lang=en; Japanese by default) and, for
    invalid parameters, one entry per parameter."""

    detail: str
    errors: list[FieldError]


class Page(BaseModel):
    """limit/offset paging: total rows matching, and the rows of this page in items (typed by each subclass)."""

    total: int
    limit: int
    offset: int


class Source(BaseModel):
    document: str | None
    document_id: int | None = None
    line: int | None


class Relative(BaseModel):
    factor: float | None
    kind: str | None
    base_fiscal_year: int | None
    base_value: float | None


class TargetOut(BaseModel):
    value: float | None
    unit: str | None
    deadline: date | None
    comparator: str | None
    relative: Relative | None
    unset: bool
    promised_by: date | None
    interim: bool
    edition: str | None
    text: str
    source: Source | None
    deadline_precision: str | None = Field(None, description="how precisely the document gave the date: day, month, fiscal_year (the 年度 a value is for; a deadline means its end) or year")
    promised_by_precision: str | None = None


class ObservationOut(BaseModel):
    value: float | None
    unit: str | None
    as_of: date | None
    status: str | None
    text: str
    source: Source | None
    as_of_precision: str | None = Field(None, description="how precisely the document gave the date: day, month, fiscal_year (the 年度 a value is for; a deadline means its end) or year")


class BaselineOut(BaseModel):
    value: float | None
    unit: str | None = None
    as_of: date | None
    text: str | None = None
    source: Source | None = None
    as_of_precision: str | None = Field(None, description="how precisely the document gave the date: day, month, fiscal_year (the 年度 a value is for; a deadline means its end) or year")


class RatingOut(BaseModel):
    scheme: str
    code: str
    official: bool
    as_of: date | None = None
    explanation: str | None = None
    source: Source | None


class RatingSummary(BaseModel):
    """The KPI's rating under the scheme asked for: published in a document (official), recomputed by mieruka
    (computed), and the one shown (code), which basis names; as of the evaluation date as_of."""

    scheme: str
    code: str | None
    basis: Literal["official", "computed"] | None = Field(
        None, description="which rating code is: official (published by the documents) or computed (mieruka's)")
    official: str | None
    computed: str | None
    as_of: date | None = Field(None, description="the evaluation date: published ratings dated by then, computed ones "
                                                 "made as of it")


class LatestOut(BaseModel):
    """The latest actual: the newest observation with a value."""

    value: float | None
    unit: str | None
    as_of: date | None
    status: str | None
    text: str | None
    as_of_precision: str | None = Field(None, description="how precisely the document gave the date: day, month, fiscal_year (the 年度 a value is for; a deadline means its end) or year")


class TargetSummary(BaseModel):
    """The target the KPI is held to: the final one of the newest edition that states one."""

    value: float | None
    deadline: date | None
    unset: bool | None
    text: str | None
    deadline_precision: str | None = Field(None, description="how precisely the document gave the date: day, month, fiscal_year (the 年度 a value is for; a deadline means its end) or year")


class KpiListItem(BaseModel):
    """A KPI as the list shows it; its observations, targets and ratings are at /api/kpis/{id}
    (or in the list with include=observations)."""

    id: int
    name: str
    tier: int | None
    reform_item: str | None
    reform_item_id: int | None
    ministry: str | None
    ministry_inferred: bool = Field(False, description="the ministry is the reform item's 《主担当府省庁等》: no document "
                                                       "names one for this KPI")
    unit: str | None
    direction: str
    baseline: BaselineOut | None
    latest: LatestOut | None
    target: TargetSummary | None
    rating: RatingSummary
    next_measurement: str | None
    next_measurement_date: date | None


class KpiOut(KpiListItem):
    """A KPI with every target, observation and rating and the documents it appears in."""

    targets: list[TargetOut]
    observations: list[ObservationOut]
    ratings: list[RatingOut]
    documents: list[str]


class AppearanceOut(BaseModel):
    name: str
    markers: list[str]
    next_measurement: str | None
    next_measurement_date: date | None
    policy_text: str | None
    source: Source | None


class EvaluationOut(BaseModel):
    id: int
    kpi_id: int
    kpi: str
    scheme: str
    code: str
    official: bool
    as_of: date | None
    explanation: str | None
    explanation_en: str | None
    details: dict | None
    computed_at: datetime | None
    source: Source | None


class DocumentRef(BaseModel):
    """A document by name: its title (None when it prints none), its date, its kind and its file name."""

    id: int
    title: str | None
    date: date | None
    family: str | None
    file_name: str


class DefinitionOut(BaseModel):
    text: str = Field(description="the KPI's row as the document prints it (HTML removed, cells joined by ｜)")
    source: Source | None


class UpdateCycleOut(BaseModel):
    cycle: Literal["yearly", "two_yearly", "half_yearly", "quarterly", "monthly", "irregular"]
    basis: Literal["text", "observations"] = Field(
        description="text: a document's 次回の把握時期 says so (quoted in text); observations: the spacing of the "
                    "dated actuals (months apart by the median, over count dates)")
    text: str | None = None
    source: Source | None = None
    months: int | None = None
    count: int | None = None


class OwnerOut(BaseModel):
    """Who answers for the KPI: the secretariat's assignment when there is one, else the ministry the documents
    name (inferred when only the reform item's 《主担当府省庁等》 names it)."""

    organisation: str | None
    inferred: bool
    assigned_by: str | None = None
    assigned_at: datetime | None = None


class KpiDetail(KpiOut):
    after_the_fact: bool
    parent_id: int | None
    baselines: list[BaselineOut]
    appearances: list[AppearanceOut]
    evaluations: list[EvaluationOut]
    definitions: list[DefinitionOut]
    update_cycle: UpdateCycleOut | None
    owner: OwnerOut
    appears_in: list[DocumentRef]


class FindingOut(BaseModel):
    kind: str
    kpi_id: int | None = None
    kpi: str | None = None
    message: str
    sources: list[Source]


class Ministry(BaseModel):
    name: str
    lead: bool


class Effects(BaseModel):
    efficiency: bool
    economy: bool
    convenience: bool
    safety: bool


class MeasureOut(BaseModel):
    id: int
    no: int
    code: str | None
    name: str
    pillar: str | None
    timing: str | None
    effects: Effects
    ministries: list[Ministry]
    kpi_progress: str | None
    kpi_effect: str | None
    overview: str | None
    support: str | None
    budget_programme: str | None
    urls: list[str]
    source: Source | None


class EffectOut(BaseModel):
    label: str | None
    amount_yen: float | None
    change_percent: float | None
    period_years: float | None
    text: str


class CaseOut(BaseModel):
    id: int
    title: str
    municipalities: list[str]
    body_codes: list[str]
    theme: str | None
    summary: str | None
    effects: list[EffectOut]
    source: Source | None


class LicenceOut(BaseModel):
    """The terms a document may be reused under (mieruka.records.licence), printed by it or the declared default."""

    terms: str = Field(description="the terms in Japanese, e.g. 政府標準利用規約（第2.0版）")
    terms_en: str
    name: str = Field(description="a licence identifier (CC-BY-4.0, other-attribution)")
    path: str | None = Field(description="the licence's address")
    basis: str = Field(description="printed: the document prints these terms; default: mieruka's declared default")
    stated_by: str = Field(description="the document's line that prints them, or what the default rests on")
    attribution: str = Field(description="the credit the terms ask for")
    origin: str | None = Field(description="where the document was taken from, when known")


class DocumentOut(BaseModel):
    id: int
    file_name: str
    family: str
    title: str | None
    doc_date: date | None
    sha256: str
    encoding: str | None
    size_bytes: int
    ingested_at: datetime
    counts: dict
    licence: LicenceOut


class Fact(BaseModel):
    kind: str
    line: int | None
    line_end: int | None
    label: str | None
    text: str | None


class DocumentDetail(BaseModel):
    id: int
    file_name: str
    family: str
    title: str | None
    doc_date: date | None
    sha256: str
    encoding: str | None
    media_type: str | None
    size_bytes: int
    ingested_at: datetime
    licence: LicenceOut
    report: dict
    meta: dict
    lines: list[str] | None
    facts: list[Fact]


class ItemOut(BaseModel):
    id: int
    number: str | None
    name: str
    theme: str | None
    kpis: int
    steps: int
    schedules: int
    status_words: list[str]


class StepOut(BaseModel):
    step: str
    progress: str | None
    outlook: str | None
    status_word: str | None
    source: Source | None


class ScheduleCell(BaseModel):
    text: str
    offices: list[str]
    source: Source | None


class SchedulePeriod(BaseModel):
    period: str
    entries: list[ScheduleCell]


class EditionSchedule(BaseModel):
    name: str | None
    published: date | None
    periods: list[SchedulePeriod]


class ItemDetail(BaseModel):
    id: int
    number: str | None
    name: str
    theme: str | None
    steps: list[StepOut]
    schedule: list[EditionSchedule]
    kpi_ids: list[int]


class HitOut(BaseModel):
    kind: str
    ref: int
    title: str
    snippet: str
    url: str


class HitPage(Page):
    items: list[HitOut]


class KpiPage(Page):
    items: list[KpiListItem]


class EvaluationPage(Page):
    items: list[EvaluationOut]


class FindingPage(Page):
    as_of: date | None = Field(None, description="the evaluation date of the stored audit answered (the nearest stored "
                                                 "one when the date asked for has none)")
    stored: bool = Field(False, description="an audit is stored as of as_of (none is computed on a request)")
    items: list[FindingOut]


class MeasurePage(Page):
    items: list[MeasureOut]


class CasePage(Page):
    items: list[CaseOut]


class DocumentPage(Page):
    items: list[DocumentOut]


class ItemPage(Page):
    items: list[ItemOut]
