"""SQLAlchemy models: every document, extracted row, rating and local body mieruka keeps.
Every extracted row carries its provenance (document, line range, the cell text as written)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Provenance:
    """Columns every extracted row carries, so a reader can check it against the document."""

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    source_text: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    family: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    doc_date: Mapped[date | None] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    encoding: Mapped[str | None] = mapped_column(String(40))
    media_type: Mapped[str | None] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict | None] = mapped_column(JSON)
    meta: Mapped[dict | None] = mapped_column(JSON)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Edition(Base):
    __tablename__ = "editions"
    __table_args__ = (UniqueConstraint("plan_id", "published"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    published: Mapped[date | None] = mapped_column(Date)
    plan: Mapped[Plan] = relationship()


class Theme(Base):
    """重要課題."""

    __tablename__ = "themes"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(Text)


class ReformItem(Base):
    """改革項目, e.g. ⑪民間の大胆な活用による適正な民間委託等の加速."""

    __tablename__ = "reform_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    number: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    theme: Mapped[Theme | None] = relationship()


class ProcessStep(Provenance, Base):
    """改革工程 with its progress text and status word (順調 …), as one document reported it."""

    __tablename__ = "process_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    reform_item_id: Mapped[int] = mapped_column(ForeignKey("reform_items.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)
    outlook: Mapped[str | None] = mapped_column(Text)
    status_word: Mapped[str | None] = mapped_column(String(40))


class ScheduleEntry(Provenance, Base):
    """One cell of a reform schedule table: what an edition planned for an item in a fiscal-year column."""

    __tablename__ = "schedule_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    reform_item_id: Mapped[int | None] = mapped_column(ForeignKey("reform_items.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    offices: Mapped[list | None] = mapped_column(JSON)
    edition: Mapped[Edition | None] = relationship()


class Organisation(Base):
    """府省庁 and their 部局 (parent is the ministry)."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))


class Kpi(Base):
    """One canonical KPI; each document's wording of it is a KpiAppearance."""

    __tablename__ = "kpis"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(Text)
    tier: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(8), default="up")
    after_the_fact: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    reform_item_id: Mapped[int | None] = mapped_column(ForeignKey("reform_items.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # True when no document names the KPI's ministry and it was taken from its reform item's 《主担当府省庁等》.
    organisation_inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reform_item: Mapped[ReformItem | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    parent: Mapped[Kpi | None] = relationship(remote_side="Kpi.id")


class KpiAppearance(Provenance, Base):
    __tablename__ = "kpi_appearances"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    name_as_written: Mapped[str] = mapped_column(Text)
    markers: Mapped[list | None] = mapped_column(JSON)
    tier_as_written: Mapped[str | None] = mapped_column(String(40))
    next_measurement: Mapped[str | None] = mapped_column(Text)
    next_measurement_date: Mapped[date | None] = mapped_column(Date)
    # How precisely the document gave the date: day | month | fiscal_year | year (None: as stored, to the day).
    next_measurement_precision: Mapped[str | None] = mapped_column(String(12))
    policy_text: Mapped[str | None] = mapped_column(Text)


class Baseline(Provenance, Base):
    __tablename__ = "baselines"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    as_of: Mapped[date | None] = mapped_column(Date)
    as_of_precision: Mapped[str | None] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)


class Target(Provenance, Base):
    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id", ondelete="SET NULL"))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[date | None] = mapped_column(Date)
    comparator: Mapped[str | None] = mapped_column(String(4))
    relative_factor: Mapped[float | None] = mapped_column(Float)
    relative_kind: Mapped[str | None] = mapped_column(String(20))
    relative_base_year: Mapped[int | None] = mapped_column(Integer)
    relative_base_value: Mapped[float | None] = mapped_column(Float)
    promised_by: Mapped[date | None] = mapped_column(Date)
    unset: Mapped[bool] = mapped_column(Boolean, default=False)
    interim: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    deadline_precision: Mapped[str | None] = mapped_column(String(12))
    promised_by_precision: Mapped[str | None] = mapped_column(String(12))
    edition: Mapped[Edition | None] = relationship()


class Observation(Provenance, Base):
    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    as_of: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    as_of_precision: Mapped[str | None] = mapped_column(String(12))


class Rating(Base):
    """A rating under a scheme: official ones come from documents, computed ones from evaluate/."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(60), index=True)
    code: Mapped[str] = mapped_column(String(20))
    official: Mapped[bool] = mapped_column(Boolean, index=True)
    explanation: Mapped[str | None] = mapped_column(Text)
    explanation_en: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict | None] = mapped_column(JSON)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    source_text: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PolicyResult(Provenance, Base):
    """The overall result of a policy evaluation sheet (各行政機関共通区分)."""

    __tablename__ = "policy_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    policy: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(40))


class BudgetLine(Provenance, Base):
    """One figure of a policy's budget table, in 円."""

    __tablename__ = "budget_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    policy: Mapped[str | None] = mapped_column(Text)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(80))
    amount_yen: Mapped[float | None] = mapped_column(Float)


class Measure(Provenance, Base):
    """A national measure for municipal plans (市町村の施策に関する国の施策)."""

    __tablename__ = "measures"
    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    kpi_progress: Mapped[str | None] = mapped_column(Text)
    kpi_effect: Mapped[str | None] = mapped_column(Text)
    overview: Mapped[str | None] = mapped_column(Text)
    pillar: Mapped[str | None] = mapped_column(Text)
    timing: Mapped[str | None] = mapped_column(Text)
    effect_efficiency: Mapped[bool] = mapped_column(Boolean, default=False)
    effect_economy: Mapped[bool] = mapped_column(Boolean, default=False)
    effect_convenience: Mapped[bool] = mapped_column(Boolean, default=False)
    effect_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    support: Mapped[str | None] = mapped_column(Text)
    budget_programme: Mapped[str | None] = mapped_column(Text)
    urls: Mapped[list | None] = mapped_column(JSON)
    ministries: Mapped[list["MeasureMinistry"]] = relationship(cascade="all, delete-orphan", order_by="MeasureMinistry.position")


class MeasureMinistry(Base):
    __tablename__ = "measure_ministries"
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    organisation: Mapped[Organisation] = relationship()


class AdvancedCase(Provenance, Base):
    """先進・優良事例: who did what, and what it saved."""

    __tablename__ = "advanced_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    municipalities: Mapped[list] = mapped_column(JSON)
    body_codes: Mapped[list | None] = mapped_column(JSON)
    effects: Mapped[list["CaseEffect"]] = relationship(cascade="all, delete-orphan", order_by="CaseEffect.position")


class CaseEffect(Base):
    __tablename__ = "case_effects"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("advanced_cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str | None] = mapped_column(Text)
    amount_yen: Mapped[float | None] = mapped_column(Float)
    change_percent: Mapped[float | None] = mapped_column(Float)
    period_years: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class LocalBody(Base):
    """A prefecture or municipality, keyed by its JIS X 0402 code (6 digits with check digit)."""

    __tablename__ = "local_bodies"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    prefecture_code: Mapped[str] = mapped_column(String(2), index=True)
    prefecture: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60), index=True)
    kana: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    designated_city: Mapped[bool] = mapped_column(Boolean, default=False)
    population: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(40))
    attributes: Mapped[dict | None] = mapped_column(JSON)


class SurveyImport(Base):
    __tablename__ = "survey_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    initiative: Mapped[str] = mapped_column(String(200), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    report: Mapped[dict | None] = mapped_column(JSON)


class SurveyResponse(Base):
    """One municipality's answer for one initiative at one date."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("import_id", "body_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("survey_imports.id", ondelete="CASCADE"), index=True)
    body_code: Mapped[str] = mapped_column(ForeignKey("local_bodies.code"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    year_started: Mapped[int | None] = mapped_column(Integer)
    cost_before: Mapped[float | None] = mapped_column(Float)
    cost_after: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)


class SurveyKpi(Base):
    """A bottom-up KPI: a count or rate over survey responses for one initiative."""

    __tablename__ = "survey_kpis"
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), unique=True)
    initiative: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(String(20), default="count")
