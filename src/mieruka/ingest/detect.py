"""Decide which document family a decoded text belongs to, by asking each reader's matches()."""
from __future__ import annotations

import importlib
from types import ModuleType

READER_MODULES = ("reform_schedule", "policy_evaluation", "measure_catalogue", "presentation")


def readers() -> list[ModuleType]:
    mods = []
    for name in READER_MODULES:
        try:
            mods.append(importlib.import_module(f"mieruka.ingest.readers.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"mieruka.ingest.readers.{name}":
                raise
    return mods


def reader_for_family(family: str) -> ModuleType:
    for mod in readers():
        if mod.FAMILY == family:
            return mod
    raise KeyError(f"no reader for family {family!r}")


def detect_family(text: str) -> ModuleType | None:
    """The first reader whose signature matches; the order puts the most specific signatures first."""
    for mod in readers():
        if mod.matches(text):
            return mod
    return None
