"""A command that leaves a large heap (publish) ends the process without the interpreter's teardown
(cli.app.end_without_teardown): what it printed is all there, in order, and its exit code is the command's."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
SCRIPT = """
import atexit, sys, typer
from mieruka.cli import main
from mieruka.cli.app import app, end_without_teardown

@app.command("say-and-end")
def say(code: int = 0, fast: bool = True):
    if fast:
        end_without_teardown()
    print("said on stdout", end="")  # no newline: flushed all the same
    print("said on stderr", file=sys.stderr)
    if code:
        raise typer.Exit(code)

atexit.register(lambda: print("teardown ran", file=sys.stderr))
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", SCRIPT, "say-and-end", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_command_ended_without_teardown_keeps_its_output_and_exit_code():
    done = _run()
    assert (done.returncode, done.stdout, done.stderr) == (0, "said on stdout", "said on stderr\n")
    failed = _run("--code", "3")
    assert (failed.returncode, failed.stdout, failed.stderr) == (3, "said on stdout", "said on stderr\n")


def test_other_commands_end_as_python_does():
    done = _run("--no-fast", "--code", "2")
    assert (done.returncode, done.stdout, done.stderr) == (2, "said on stdout", "said on stderr\nteardown ran\n")
