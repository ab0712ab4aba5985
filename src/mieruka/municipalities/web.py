"""The local-body pages, plugged into the web app: web.routers.PLUGINS names this module.
They are written in web/routes_local.py, beside the templates that ship as the web package's data."""
from mieruka.web.routes_local import MESSAGES, NAV, router

__all__ = ["MESSAGES", "NAV", "router"]
