"""`mieruka serve`: starts uvicorn on the address asked, prints it, and serves the pages and the API there."""
from __future__ import annotations

import socket
import subprocess
import sys

import httpx2 as httpx

import webdata
from mieruka import storage


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_its_address_and_answers_there(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    webdata.build(url)
    storage.dispose_engines()
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mieruka", "serve", "--db", url, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line == f"mieruka: serving {url} at http://127.0.0.1:{port}/ (Ctrl+C stops)\n"
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/kpis?limit=1", timeout=1)
                break
            except httpx.TransportError:
                proc.poll()
                assert proc.returncode is None, proc.stderr.read()
        assert r.json()["items"][0]["name"] == "窓口業務のアウトソーシング"
        assert '<html lang="ja">' in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
