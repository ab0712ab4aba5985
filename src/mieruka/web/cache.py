"""Answers kept until the database changes: a page or download asked for by an anonymous visitor is rendered once per
state of the data (storage.ChangeWatch) and day, and sent again as long as nothing was written since.

What is kept: a GET (or HEAD) without a Cookie or Authorization header whose answer is a 200 with no Set-Cookie and
no `Cache-Control: no-store`/`private`, of at most MAX_BODY bytes. The key is the path, the query string, the Host
and the day; any commit to the database, by this server or any other process, makes a new token and empties the
cache. Many requests for the same page while it is being rendered wait for that one rendering."""
from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mieruka.storage import ChangeWatch

MAX_ENTRIES = 1024
MAX_BODY = 4 * 2**20
MAX_BYTES = 96 * 2**20
_SKIP_HEADERS = (b"cookie", b"authorization")


class ResponseCache:
    def __init__(self, app: ASGIApp, url: str):
        self.app = app
        self.watch = ChangeWatch(url)
        self.token: str | None = None
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.size = 0
        self.pending: dict[tuple, asyncio.Future] = {}
        self.hits = self.misses = 0

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        host = b""
        for name, value in scope.get("headers", []):
            if name in _SKIP_HEADERS:
                return None
            if name == b"host":
                host = value
        token = self.watch.token()
        if token is None:
            return None
        if token != self.token:
            self.token = token
            self.entries.clear()
            self.size = 0
        return token, date.today().toordinal(), scope["path"], scope.get("query_string", b""), host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is None and key in self.pending:
            entry = await asyncio.shield(self.pending[key])
        if entry is not None:
            self.hits += 1
            if key in self.entries:
                self.entries.move_to_end(key)
            status, headers, body = entry
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        start: dict = {}
        chunks: list[bytes] = []
        keep = True

        async def send_kept(message: Message) -> None:
            nonlocal keep
            if message["type"] == "http.response.start":
                start.update(message)
                keep = message["status"] == 200 and _cacheable(message.get("headers", []))
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                keep = sum(map(len, chunks)) <= MAX_BODY
            await send(message)

        kept = None
        try:
            await self.app(scope, receive, send_kept)
            if keep and start:
                kept = (start["status"], list(start.get("headers", [])), b"".join(chunks))
                if key[0] == self.token:  # the data did not change while it was made
                    self._store(key, kept)
        finally:
            self.pending.pop(key, None)
            future.set_result(kept)

    def _store(self, key: tuple, entry: tuple[int, list, bytes]) -> None:
        self.entries[key] = entry
        self.size += len(entry[2])
        while len(self.entries) > MAX_ENTRIES or self.size > MAX_BYTES:
            _, (_, _, body) = self.entries.popitem(last=False)
            self.size -= len(body)


def _cacheable(headers: list) -> bool:
    for name, value in headers:
        name = name.lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True
