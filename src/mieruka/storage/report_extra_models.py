"""Tables a report holds beside its fields: the evidence files attached to it (kept raw, with their sha256) and the
progress text its reporter gives for each process step (改革工程) of the KPI's reform item."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mieruka.storage.base import Base, _now


class ReportEvidence(Base):
    """One file attached to a report: the bytes as uploaded, the type read from the bytes (not from the name)."""

    __tablename__ = "report_evidence"
    __table_args__ = (UniqueConstraint("report_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReportStep(Base):
    """The progress a report gives for one process step of its KPI's reform item (the step as the schedule words
    it); published with the round as a process step citing the round's snapshot."""

    __tablename__ = "report_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)
