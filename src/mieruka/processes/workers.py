"""A worker's start: it ends with the process that started it, and leaves Ctrl-C to it."""
from __future__ import annotations

import os
import signal
import threading
import time


def exit_with(parent: int) -> None:
    """End this worker when the process that started it is gone (killed with -9 it cannot shut its pool down, and a
    worker waiting for work, or to hand its result over, would wait for ever, holding the database open): a thread asks
    every half second who the parent is; once it died, the worker has been handed to another (init)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def helper_started(parent: int) -> None:
    """A multiprocessing pool's initializer for a helper: Ctrl-C is the parent's to handle (it stops the helper), and
    the helper ends with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with(parent)
