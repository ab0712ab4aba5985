"""Pages of a publish run made ahead, in a copy of the publishing process (os.fork), while the crawl makes the others:
after one change the pages that show every KPI (the all-KPI downloads, the overview) are most of a run's time on one
core while the other waits."""
from __future__ import annotations

import json
import os
import pickle
import select
import signal
import time

# What a run after a change spends most on (10,000 KPIs: /kpis.xlsx 0.5 s, .json 0.13, .csv 0.1, the overview
# 0.15 a language): made ahead when the previous run made them from all KPIs and they are to be made again. (A
# download is one file whatever the language of the page that links it: the first met, the Japanese one.)
HEAVY = ("/kpis.xlsx", "/kpis.json", "/kpis.csv", "/", "/?lang=en")
WAIT_S = 300.0  # a copy that has not answered by then is stopped, and its pages made by the crawl


class Answer:
    """What the crawl reads of an answer (starlette's test client's Response): status, content type, body."""

    def __init__(self, status_code: int, content_type: str, content: bytes):
        self.status_code, self.content = status_code, content
        self.headers = {"content-type": content_type}

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)


class Ahead:
    """A forked copy of this process asking the application for URLS (the crawl's (path, query) keys), then calling
    also() if given (the data package's tables), handing each result back through a pipe as soon as it has it:
    answers() and also() wait for theirs. Made before the crawl starts its threads. If the copy fails or takes longer
    than WAIT_S, answers() gives what it has (nothing) and also() None: the crawl makes them itself."""

    def __init__(self, app, urls: list[tuple[str, tuple]], url_of, also=None):
        self.keys = set(urls)
        self._results: list = []  # what came through the pipe, in order: the answers, then also()'s
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the copy: never returns
            os.close(read)
            _work(app, urls, url_of, also, write)
        os.close(write)
        self._pid, self._read, self._also = pid, read, also is not None
        self._deadline = time.monotonic() + WAIT_S

    def answers(self) -> dict:
        said = self._result(0)
        return {k: Answer(*v) for k, v in said.items()} if isinstance(said, dict) else {}

    def also(self):
        return self._result(1) if self._also else None

    def _result(self, i: int):
        while len(self._results) <= i and self._read is not None:
            frame = self._frame()
            if frame is None:
                self.close()
                break
            self._results.append(frame)
        return self._results[i] if len(self._results) > i else None

    def _frame(self):
        """The next result the copy sent (its length in 8 bytes, then its pickle); None when it sent no more."""
        try:
            head = self._exactly(8)
            body = self._exactly(int.from_bytes(head, "big")) if head is not None else None
            return pickle.loads(body) if body is not None else None
        except (OSError, pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError):
            return None

    def _exactly(self, n: int) -> bytes | None:
        chunks, got = [], 0
        while got < n:
            left = self._deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                os.kill(self._pid, signal.SIGKILL)
                return None
            chunk = os.read(self._read, min(n - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self._read is not None:
            os.close(self._read)
            self._read = None
            try:
                os.kill(self._pid, signal.SIGKILL)  # (done already, or no longer waited for)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self._pid, 0)
            except ChildProcessError:
                pass


def _work(app, urls: list[tuple[str, tuple]], url_of, also, write: int) -> None:
    """In the copy: each URL asked of the application (its own client: the parent's event loop and threads are not
    here), the answers sent, then also()'s result, and the process ended without running anything the parent set to
    run at exit (os._exit)."""
    code = 1
    try:
        from starlette.testclient import TestClient

        client = TestClient(app, base_url="http://localhost", raise_server_exceptions=False)
        said = {}
        for k in urls:
            r = client.get(url_of(*k))
            said[k] = (r.status_code, r.headers.get("content-type", ""), r.content)
        _send(write, said)
        if also is not None:
            _send(write, also())
        code = 0
    except BaseException:  # noqa: BLE001 - whatever happened here, the parent makes these itself
        pass
    finally:
        os._exit(code)


def _send(write: int, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(write, view):]
