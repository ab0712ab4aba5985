"""The layers follow the data: a package imports only itself and the packages of lower layers, and no two modules
import each other (directly or round a longer loop). docs/architecture.md describes the same list."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mieruka"

# Bottom first. Packages in one row are peers: neither may import the other.
LAYERS = (
    ("jp", "processes"),
    ("bodies", "records"),
    ("ingest",),
    ("storage",),
    ("loading", "evaluate"),
    ("municipalities", "accounts", "plans"),
    ("export", "workflow", "publish"),
    ("web",),
    ("cli",),
)
LEVEL = {name: index for index, names in enumerate(LAYERS) for name in names}
TOP_MODULES = {"__init__", "__main__"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every mieruka module this file imports, at the top or inside a function, typing-only included.
    `from package import module` names the module, not the package's __init__."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mieruka"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("mieruka"):
                for alias in node.names:
                    found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return found


def _sources() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        # "from mieruka.x import y" names a module when y is one, else a name inside mieruka.x
        graph[name] = {m for m in _imports(path, set(modules)) if m in modules} - {name}
    return graph


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_package_has_a_layer():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")} - TOP_MODULES
    assert packages - set(LEVEL) == set(), "a new package needs a row in LAYERS (and in docs/architecture.md)"
    assert modules == set(), "modules belong in a package of a layer"


def test_layers_import_only_downwards():
    wrong = []
    for module, imported in sorted(_sources().items()):
        own = _package(module)
        if own is None or own in TOP_MODULES:  # mieruka/__main__.py runs the CLI
            continue
        for target in sorted(imported):
            other = _package(target)
            if other is None or other == own:
                continue
            if LEVEL[other] >= LEVEL[own]:
                wrong.append(f"{module} imports {target} ({own} is layer {LEVEL[own]}, {other} is layer {LEVEL[other]})")
    assert wrong == []


def test_no_import_cycles():
    graph = _sources()
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("lower, upper", [("storage", "ingest"), ("storage", "municipalities"), ("evaluate", "municipalities"),
                                          ("ingest", "storage")])
def test_the_imports_the_issue_named_are_gone(lower, upper):
    graph = _sources()
    offending = [f"{m} → {t}" for m, targets in graph.items() if _package(m) == lower
                 for t in targets if _package(t) == upper]
    assert offending == []
