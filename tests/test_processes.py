"""Worker processes end with the process that started them (mieruka.processes): the audit's helper and publish's
renderers, when their parent is killed with -9 or by the out-of-memory killer, which signal it alone."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import multiprocessing, os, sys, time
from mieruka.processes.workers import helper_started
if __name__ == "__main__":
    pool = multiprocessing.get_context("spawn").Pool(1, initializer=helper_started, initargs=(os.getpid(),))
    helper = pool.apply_async(os.getpid).get(timeout=120)  # started: its initializer has run
    pool.apply_async(time.sleep, (600,))  # the helper busy, as with its half of an audit
    print(helper, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_helper_ends_when_its_parent_is_killed_and_ignores_ctrl_c(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    helper = int(parent.stdout.readline())
    assert _alive(helper)
    os.kill(helper, signal.SIGINT)  # Ctrl-C is the parent's: the helper goes on
    time.sleep(1)
    assert _alive(helper)
    parent.kill()
    parent.wait()
    for _ in range(60):  # it looks every half second
        if not _alive(helper):
            break
        time.sleep(0.5)
    assert not _alive(helper)
