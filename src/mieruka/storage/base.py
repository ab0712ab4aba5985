"""The declarative base every table of mieruka is defined on, and the clock rows are stamped with.
A module of its own so that the table modules (models, cycle_models) build on it without importing each other."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import DeclarativeBase


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass
