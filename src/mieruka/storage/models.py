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
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


from mieruka.storage.base import Base, _now  # noqa: E402  (re-exported: every model module builds on them)


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
    # the terms it may be reused under and the attribution they ask for (records.licence): printed, or the default
    licence: Mapped[dict | None] = mapped_column(JSON)
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
    tier: Mapped[int | None] = mapped_column(Integer, index=True)
    unit: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(8), default="up")
    after_the_fact: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"), index=True)
    reform_item_id: Mapped[int | None] = mapped_column(ForeignKey("reform_items.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
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
    __table_args__ = (Index("ix_observations_kpi_id_as_of", "kpi_id", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    as_of: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    as_of_precision: Mapped[str | None] = mapped_column(String(12))


class Rating(Base):
    """A rating under a scheme: official ones come from documents, computed ones from evaluate/ (with the data
    version of the KPI they were computed from, so a change to the KPI shows which ones are stale)."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_kpi_id_scheme_official", "kpi_id", "scheme", "official"),)
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
    data_version: Mapped[int | None] = mapped_column(Integer)


class KpiSummary(Base):
    """What a list row shows of one KPI, kept when its data is written: the baseline, the latest actual, the target it
    is held to, the next measurement, and the text a list search matches. version grows with every change."""

    __tablename__ = "kpi_summaries"
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    name_folded: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str | None] = mapped_column(Text)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_unit: Mapped[str | None] = mapped_column(String(40))
    baseline_as_of: Mapped[date | None] = mapped_column(Date)
    baseline_text: Mapped[str | None] = mapped_column(Text)
    latest_value: Mapped[float | None] = mapped_column(Float)
    latest_unit: Mapped[str | None] = mapped_column(String(40))
    latest_as_of: Mapped[date | None] = mapped_column(Date)
    latest_status: Mapped[str | None] = mapped_column(String(20))
    latest_text: Mapped[str | None] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_deadline: Mapped[date | None] = mapped_column(Date)
    target_unset: Mapped[bool | None] = mapped_column(Boolean)
    target_text: Mapped[str | None] = mapped_column(Text)
    next_measurement: Mapped[str | None] = mapped_column(Text)
    next_measurement_date: Mapped[date | None] = mapped_column(Date)
    # how precisely the document gave those dates (day | month | fiscal_year | year): 2020年度末, 2018年3月
    baseline_as_of_precision: Mapped[str | None] = mapped_column(String(12))
    latest_as_of_precision: Mapped[str | None] = mapped_column(String(12))
    target_deadline_precision: Mapped[str | None] = mapped_column(String(12))


class RatingRun(Base):
    """The computed ratings of one scheme as of one evaluation date (a scheme keeps several: the editions' dates, the
    published rounds' and each `mieruka evaluate --as-of`), and the scheme file (by hash) they were made with."""

    __tablename__ = "rating_runs"
    scheme: Mapped[str] = mapped_column(String(60), primary_key=True)
    scheme_sha256: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditRun(Base):
    """One stored audit: as of a date, over the data (and scheme files) named by data_key."""

    __tablename__ = "audit_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    data_key: Mapped[str] = mapped_column(String(400))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditFinding(Base):
    __tablename__ = "audit_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    kpi_id: Mapped[int | None] = mapped_column(Integer)
    kpi: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list | None] = mapped_column(JSON)


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
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
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


class LocalPlan(Base):
    """A local body's own plan (官民データ活用推進計画) built from national measures; rated under its scheme."""

    __tablename__ = "local_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    body_code: Mapped[str] = mapped_column(ForeignKey("local_bodies.code"), index=True)
    title: Mapped[str] = mapped_column(Text)
    scheme: Mapped[str] = mapped_column(String(60), default="municipal-sabc")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_by: Mapped[str] = mapped_column(String(200))


class LocalPlanMeasure(Base):
    """One national measure a plan takes up: the body's section, its own KPI as typed and read, its schedule.
    The measure's number, code and title are copied so the plan still reads after the catalogue is reloaded."""

    __tablename__ = "local_plan_measures"
    __table_args__ = (UniqueConstraint("plan_id", "measure_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("local_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))
    measure_no: Mapped[int] = mapped_column(Integer)
    measure_code: Mapped[str | None] = mapped_column(String(20))
    measure_name: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    kpi: Mapped[str] = mapped_column(Text)
    national_kpi: Mapped[str | None] = mapped_column(Text)
    baseline_text: Mapped[str | None] = mapped_column(Text)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_as_of: Mapped[date | None] = mapped_column(Date)
    target_text: Mapped[str | None] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    deadline_text: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(8), default="up")
    schedule: Mapped[list | None] = mapped_column(JSON)
    rating_code: Mapped[str | None] = mapped_column(String(20))
    rating_as_of: Mapped[date | None] = mapped_column(Date)
    rating_details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_by: Mapped[str] = mapped_column(String(200))


class LocalPlanActual(Base):
    """An actual value of a plan KPI, as typed and as read, with who entered it."""

    __tablename__ = "local_plan_actuals"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_measure_id: Mapped[int] = mapped_column(ForeignKey("local_plan_measures.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    entered_by: Mapped[str] = mapped_column(String(200))


class LocalPlanChange(Base):
    """Every write to a plan: who, when, through what (web, cli, bulk), what changed from what."""

    __tablename__ = "local_plan_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("local_plans.id", ondelete="CASCADE"), index=True)
    plan_measure_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    old: Mapped[dict | None] = mapped_column(JSON)
    new: Mapped[dict | None] = mapped_column(JSON)


class ChangeCounter(Base):
    """One row counting the transactions that wrote to this database, bumped in each one's own commit on PostgreSQL
    (storage.db): what the response cache of a server on PostgreSQL watches, so another database's writes on the same
    server do not empty it. SQLite needs none (its data_version is the file's own)."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)


class KpiChange(Base):
    """A token per KPI that a write of any of its rows (its own, its appearances, baselines, targets, actuals,
    ratings, list row) replaces with a new random one, by triggers (SQLite; migration 0015): `mieruka publish`
    reads again only the KPIs whose token is not the one it saw last run, instead of every row. Random, not a count:
    a database restored from a copy, or another database published into the same folder, cannot repeat a token."""

    __tablename__ = "kpi_changes"
    kpi_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(16))


class DocumentChange(Base):
    """The same per document: a write of any KPI row read from it (appearances, baselines, targets, actuals,
    ratings) replaces its token."""

    __tablename__ = "document_changes"
    document_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(16))


# The reporting cycle's tables live in their own module; importing it here puts them in Base.metadata.
from mieruka.storage import cycle_models  # noqa: E402,F401
from mieruka.storage import report_extra_models  # noqa: E402,F401
from mieruka.storage import survey_round_models  # noqa: E402,F401
