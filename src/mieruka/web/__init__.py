"""The 見える化 web application: server-rendered pages in Japanese and English and the JSON API under /api/.
`create_app(db_url)` builds it; `mieruka serve` runs it with uvicorn."""
from mieruka.web.app import create_app

__all__ = ["create_app"]
