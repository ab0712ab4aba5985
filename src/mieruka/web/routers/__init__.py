"""The routers create_app includes: every module of this package, then the optional plug-in modules in PLUGINS.
A router module defines `router` (an APIRouter) and may define `NAV` (NavLinks for the header), `TEMPLATES`
(a folder of its own Jinja templates) and `MESSAGES` (a TOML catalogue in the layout of templates/i18n/messages.toml)."""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType

# Areas that plug pages in from their own package, imported when present (like the CLI areas).
PLUGINS = ("mieruka.web.routes_local", "mieruka.web.routes_plans")


@dataclass(frozen=True)
class NavLink:
    """One entry of the header navigation; label is a message key or {"ja": …, "en": …}."""

    path: str
    label: str | dict = field(hash=False)
    order: int = 50


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not (name == exc.name or name.startswith(f"{exc.name}.")):
            raise  # the module is there but something it imports is not: a real error
        return None


def router_modules() -> list[ModuleType]:
    own = [importlib.import_module(f"{__name__}.{info.name}")
           for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)]
    plugged = [mod for mod in (_optional(name) for name in PLUGINS) if mod is not None]
    return own + plugged


def nav_links(modules: list[ModuleType]) -> list[NavLink]:
    links = [link for mod in modules for link in getattr(mod, "NAV", [])]
    return sorted(links, key=lambda link: (link.order, link.path))
