"""The exception a route raises for input it will not work on; guards.add_error_handlers answers it.
Apart from guards so that pages, which guards renders errors with, can raise it too."""
from __future__ import annotations


class RequestRefused(Exception):
    """Input a route will not work on: answered with `status` and the catalogue message error.<key>."""

    def __init__(self, status: int, key: str, **fields):
        super().__init__(key)
        self.status, self.key, self.fields = status, key, fields
