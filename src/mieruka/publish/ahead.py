"""Pages of a publish run made ahead, in a copy of the publishing process (os.fork), while the crawl makes the others:
after one change the pages that show every KPI (the all-KPI downloads, the overview) are most of a run's time on one
core while the other waits."""
from __future__ import annotations

import json
import os
import pickle
import signal
import threading
import time
from dataclasses import dataclass, field

# What a run after a change spends most on (10,000 KPIs: /kpis.xlsx 0.5 s, .json 0.13, .csv 0.1, the overview
# 0.15 a language): made ahead when the previous run made them from all KPIs and they are to be made again. (A
# download is one file whatever the language of the page that links it: the first met, the Japanese one.)
HEAVY = ("/kpis.xlsx", "/kpis.json", "/kpis.csv", "/", "/?lang=en")
WAIT_S = 300.0  # a copy that has not answered by then is stopped, and its pages made by the crawl


@dataclass
class Answer:
    """What the crawl reads of an answer (the part of an HTTP response it uses): what the copy here and the workers
    that render KPIs' pages (web.static_pages) hand back in place of the application's response."""
    status_code: int
    content: bytes
    headers: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)


class Ahead:
    """A forked copy of this process asking the application for URLS (the crawl's (path, query) keys), then calling
    also() if given (the data package's tables), handing each result back through a pipe as soon as it has it; a
    thread here reads the pipe as it fills (a copy blocked on a full pipe would not go on to also()), and answers()
    and also() wait for theirs. Made before the crawl starts its threads. If the copy fails, or has not sent a result
    WAIT_S after it was made, it is stopped: answers() gives nothing and also() None, and the crawl makes them."""

    def __init__(self, app, urls: list[tuple[str, tuple]], url_of, also=None, close_fds=()):
        self.keys = set(urls)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the copy: never returns
            os.close(read)
            for fd in close_fds:  # the folder's locks: a copy left behind by a killed parent must not hold them
                try:
                    os.close(fd)
                except OSError:
                    pass
            _work(app, urls, url_of, also, write)
        os.close(write)
        self._pid, self._also = pid, also is not None
        self._deadline = time.monotonic() + WAIT_S
        self._frames: list[bytes] = []
        self._came = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read_all, args=(read,), name="mieruka-ahead", daemon=True)
        self._reader.start()

    def _read_all(self, read: int) -> None:
        buffer = bytearray()
        try:
            while chunk := os.read(read, 1 << 20):
                buffer += chunk
                while len(buffer) >= 8 and len(buffer) >= 8 + int.from_bytes(buffer[:8], "big"):
                    size = int.from_bytes(buffer[:8], "big")
                    with self._came:
                        self._frames.append(bytes(buffer[8:8 + size]))
                        self._came.notify_all()
                    del buffer[:8 + size]
        except OSError:
            pass
        finally:
            os.close(read)
            with self._came:
                self._ended = True
                self._came.notify_all()

    def answers(self) -> dict:
        said = self._result(0)
        return {k: Answer(status, content, {"content-type": kind}) for k, (status, kind, content) in said.items()} \
            if isinstance(said, dict) else {}

    def also(self):
        return self._result(1) if self._also else None

    def _result(self, i: int):
        with self._came:
            while len(self._frames) <= i and not self._ended:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    break
                self._came.wait(left)
            frame = self._frames[i] if len(self._frames) > i else None
        if frame is None:
            self.close()
            return None
        try:
            return pickle.loads(frame)
        except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError):
            return None

    def close(self) -> None:
        """The copy stopped (it has sent all it will, or is no longer waited for) and reaped."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self._pid, 0)
        except ChildProcessError:
            pass
        self._pid = None
        self._reader.join(5)


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
