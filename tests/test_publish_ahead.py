"""publish.ahead: a forked copy of the publishing process makes some pages (and then the data package's tables) and
sends them back through a pipe that a thread reads as it fills, so the copy never waits for the crawl."""
from __future__ import annotations

import os
import time

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from mieruka.publish.ahead import Ahead

BIG = b"x" * (2 << 20)  # far more than a pipe holds (64 KiB)


def _app():
    return Starlette(routes=[Route("/big", lambda request: Response(BIG, media_type="text/plain")),
                             Route("/page", lambda request: Response("<p>ページ</p>", media_type="text/html"))])


def _ended(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
        time.sleep(0.05)
    return False


def test_the_copy_sends_everything_and_ends_before_anything_is_asked_of_it():
    ahead = Ahead(_app(), [("/big", ()), ("/page", ())], lambda path, query: path, also=lambda: {"tables": 1})
    pid = ahead._pid
    try:
        assert _ended(pid, 30)  # not blocked on a full pipe: the answers and also()'s result were read meanwhile
        ahead._pid = None  # (reaped above)
        answers = ahead.answers()
        assert answers[("/big", ())].content == BIG and answers[("/page", ())].text == "<p>ページ</p>"
        assert answers[("/page", ())].headers["content-type"].startswith("text/html")
        assert ahead.also() == {"tables": 1}
    finally:
        ahead.close()


def test_a_copy_that_fails_gives_nothing_and_the_crawl_makes_its_pages(monkeypatch):
    def broken():
        raise RuntimeError("the package could not be read")

    ahead = Ahead(_app(), [("/page", ())], lambda path, query: path, also=broken)
    try:
        assert ahead.answers()[("/page", ())].status_code == 200 and ahead.also() is None
    finally:
        ahead.close()
    monkeypatch.setattr("mieruka.publish.ahead.WAIT_S", 0.5)
    monkeypatch.setattr("mieruka.publish.ahead._work", lambda *args: (time.sleep(60), os._exit(0)))
    late = Ahead(_app(), [("/page", ())], lambda path, query: path)
    started = time.monotonic()
    assert late.answers() == {} and time.monotonic() - started < 5  # stopped, not waited for
    assert late._pid is None
